/**
 * The slot resync (maintenance.reconcile) never lets a tenant past its concurrency limits
 * on the memory set: a submit still uploading its input, or a session start whose record is
 * not open yet, keeps its slot through a reconcile; an upload longer than the grace keeps
 * it by refreshing; a submit whose slot was freed anyway (its refreshes failed) only
 * writes its job if it can take a slot again; and, sampled at every step while
 * 4 submitter loops upload slowly and maintenance runs every 200 ms, the unfinished jobs
 * never exceed the limit and no slot is left behind. Time is the ManualClock's.
 */
import { Readable } from 'node:stream';
import { type ManualClock, storeUnavailable } from '@dalston/core/adapter';
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/services/jobs/pipeline.js';
import { type Harness, harness, until } from './harness.js';

const single: Pipeline = { build: () => [{ stage: 'only', queue: 'q' }] };

/** An input body whose end the test decides (the upload is in flight until then). */
function heldUpload() {
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const body = Readable.from(
    (async function* () {
      yield Buffer.from('first half;');
      await done;
      yield Buffer.from('second half');
    })(),
  );
  return { body, finish };
}

/** An input body that takes `ms` of the manual clock to upload. */
const slowUpload = (clock: ManualClock, ms: number) =>
  Readable.from(
    (async function* () {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(ms / 3);
        yield Buffer.from(`chunk ${i};`);
      }
    })(),
  );

const jobHolders = (h: Harness) => h.adapters.rateLimitStore.holders(`tenant:${h.tenantId}:jobs`);
const unfinished = (h: Harness) => h.adapters.jobStore.nonTerminalJobIds(h.tenantId);
const submitCode = async (h: Harness) =>
  (await h.dalston.jobs.submit({ tenantId: h.tenantId })).match(
    () => 'admitted',
    (e) => e.code,
  );

describe('slot resync keeps a submit in flight', () => {
  it('limit 1: A uploading, B refused, reconcile, B still refused; once A ends the slot is free', async () => {
    const h = await harness({ pipeline: single, tenantLimits: { concurrentJobs: 1 } });
    const upload = heldUpload();
    const a = h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.bin', body: upload.body } });
    await until(async () => (await jobHolders(h)).length === 1, 3000, 'A to hold its slot');
    expect(await submitCode(h)).toBe('RATE_LIMITED');
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await jobHolders(h)).toHaveLength(1);
    expect(await submitCode(h)).toBe('RATE_LIMITED');
    expect(await unfinished(h)).toEqual([]);

    upload.finish();
    const job = (await a)._unsafeUnwrap();
    expect(await unfinished(h)).toEqual([job.id]);
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await jobHolders(h)).toEqual([job.id]);
    const worker = h.dalston.createWorker({ queues: ['q'], handler: () => null });
    await until(async () => (await unfinished(h)).length === 0, 3000, 'A to complete');
    await until(async () => (await jobHolders(h)).length === 0, 3000, 'the slot to be freed');
    expect(await submitCode(h)).toBe('admitted');
    await worker.close();
    await h.dalston.close();
  });

  it('an upload far longer than the grace keeps its slot: the submit refreshes it while uploading', async () => {
    const h = await harness({
      pipeline: single,
      tenantLimits: { concurrentJobs: 1 },
      config: { slotResyncGraceMs: 1000 },
    });
    const upload = heldUpload();
    const a = h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.bin', body: upload.body } });
    await until(async () => (await jobHolders(h)).length === 1, 3000, 'A to hold its slot');
    for (let i = 0; i < 10; i++) {
      await h.advance(500); // 5 s of uploading in all, five times the grace
      (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
      expect(await jobHolders(h)).toHaveLength(1);
    }
    expect(await submitCode(h)).toBe('RATE_LIMITED');
    upload.finish();
    const job = (await a)._unsafeUnwrap();
    expect(await unfinished(h)).toEqual([job.id]);
    expect(await jobHolders(h)).toEqual([job.id]);
    await h.dalston.close();
  });

  it('refreshes lost while the store was down, the slot freed and taken by B: A is refused, not written', async () => {
    const down = { refresh: false };
    const h = await harness({
      pipeline: single,
      tenantLimits: { concurrentJobs: 1 },
      config: { slotResyncGraceMs: 1000 },
      wrap: (adapters) => {
        const store = adapters.rateLimitStore;
        const refresh = store.refreshSlot.bind(store);
        store.refreshSlot = (...args) =>
          down.refresh
            ? Promise.reject(
                storeUnavailable('rateLimitStore', 'refreshSlot', new Error('connection refused')),
              )
            : refresh(...args);
        return adapters;
      },
    });
    const upload = heldUpload();
    const a = h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.bin', body: upload.body } });
    await until(async () => (await jobHolders(h)).length === 1, 3000, 'A to hold its slot');
    down.refresh = true;
    await h.advance(1500); // no refresh reached the store for longer than the grace
    down.refresh = false;
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await jobHolders(h)).toEqual([]);
    const b = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    upload.finish();
    expect((await a)._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
    expect(await unfinished(h)).toEqual([b.id]);
    expect(await jobHolders(h)).toEqual([b.id]);
    expect((await h.adapters.artifactStore.list(`tenants/${h.tenantId}/`)).items).toEqual([]);
    await h.dalston.close();
  });

  it('a slot whose job PostgreSQL shows terminal or absent is removed once past the grace', async () => {
    const h = await harness({ pipeline: single, tenantLimits: { concurrentJobs: 2 } });
    const key = `tenant:${h.tenantId}:jobs`;
    await h.adapters.rateLimitStore.acquireSlot(key, 'job-leaked', 2, 86_400_000);
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await jobHolders(h)).toEqual(['job-leaked']);
    await h.advance(15_000); // the default grace
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await jobHolders(h)).toEqual([]);
    await h.dalston.close();
  });
});

describe('slot resync keeps a session start in flight', () => {
  it('limit 1: S1 opening, S2 refused, reconcile, S2 still refused; once S1 ends S2 starts', async () => {
    let opened!: () => void;
    const opening = new Promise<void>((r) => {
      opened = r;
    });
    const h = await harness({
      tenantLimits: { concurrentSessions: 1 },
      wrap: (adapters) => {
        const archive = adapters.sessionArchive;
        const open = archive.open.bind(archive);
        archive.open = async (record) => {
          await opening;
          return open(record);
        };
        return adapters;
      },
    });
    const key = `tenant:${h.tenantId}:sessions`;
    const s1 = h.dalston.sessions.start({ tenantId: h.tenantId });
    await until(async () => (await h.adapters.rateLimitStore.holders(key)).length === 1, 3000, 'S1 slot');
    const refused = async () =>
      (await h.dalston.sessions.start({ tenantId: h.tenantId }))._unsafeUnwrapErr().code;
    expect(await refused()).toBe('RATE_LIMITED');
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(await h.adapters.rateLimitStore.holders(key)).toHaveLength(1);
    opened();
    const first = (await s1)._unsafeUnwrap();
    expect(await refused()).toBe('RATE_LIMITED');
    (await h.dalston.sessions.end(h.tenantId, first.id))._unsafeUnwrap();
    expect((await h.dalston.sessions.start({ tenantId: h.tenantId })).isOk()).toBe(true);
    await h.dalston.close();
  });
});

describe('the concurrent-job limit holds at every instant (memory set)', () => {
  it('4 submitter loops with slow uploads, maintenance every 200 ms: unfinished ≤ limit, no slot leaked', async () => {
    const limit = 2;
    const h = await harness({
      pipeline: single,
      tenantLimits: { concurrentJobs: limit },
      config: { slotResyncGraceMs: 400 },
    });
    const worker = h.dalston.createWorker({
      queues: ['q'],
      concurrency: 4,
      handler: async () => {
        await h.clock.sleep(50);
        return null;
      },
    });
    (await h.dalston.maintenance.start({ intervalMs: 200 }))._unsafeUnwrap();
    const perLoop = 30;
    const outcomes: string[] = [];
    let running = 4;
    const loop = async (n: number) => {
      for (let i = 0; i < perLoop; i++) {
        // Uploads from 100 ms to 700 ms: many outlast the grace, kept by the submit's refreshes.
        const uploadMs = 100 + ((n * 7 + i * 3) % 7) * 100;
        const body = slowUpload(h.clock, uploadMs);
        const r = await h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.bin', body } });
        outcomes.push(r.isOk() ? 'admitted' : r.error.code);
        if (r.isErr()) await h.clock.sleep(100);
      }
      running--;
    };
    const loops = [0, 1, 2, 3].map(loop);
    let max = 0;
    let samples = 0;
    while (running > 0 || (await unfinished(h)).length > 0) {
      await h.advance(10); // a sample every 10 ms of engine time
      max = Math.max(max, (await unfinished(h)).length);
      samples++;
      if (samples > 20_000) throw new Error('the submitter loops did not finish');
    }
    await Promise.all(loops);
    expect(outcomes.filter((o) => o !== 'admitted' && o !== 'RATE_LIMITED')).toEqual([]);
    expect(outcomes.filter((o) => o === 'admitted').length).toBeGreaterThan(limit);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBe(limit); // the sampler did see the tenant at its limit
    await h.advance(200);
    expect(await jobHolders(h)).toEqual(await unfinished(h));
    expect(await jobHolders(h)).toEqual([]);
    (await h.dalston.maintenance.stop())._unsafeUnwrap();
    await worker.close();
    await h.dalston.close();
  });
});
