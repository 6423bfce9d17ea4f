/**
 * Row retention on the memory set with a manual clock and the default settings (rows kept
 * 90 days after a job finished, artifacts 30): a job finished long ago disappears with its
 * tasks and events (from get, list and the event log); a running job, a recent one and one
 * kept forever stay; a job whose artifacts are not purged yet keeps its rows; the pass logs
 * what it deleted; `start()` runs it; a bad batch size is refused.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/ports/logger.js';
import { type Harness, harness, until } from './harness.js';

const DAY = 86_400_000;
const one = { build: () => [{ stage: 'a', queue: 'q' }] };

/** A logger keeping every line. */
function recordingLogger(lines: { message: string; fields: Record<string, unknown> }[]): Logger {
  const log = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

async function finishedJob(h: Harness, retentionDays?: number): Promise<string> {
  const submitted = await h.dalston.jobs.submit({
    tenantId: h.tenantId,
    ...(retentionDays === undefined ? {} : { retentionDays }),
  });
  const id = submitted._unsafeUnwrap().id;
  await until(async () => (await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().status === 'completed');
  return id;
}

const exists = async (h: Harness, jobId: string) => (await h.dalston.jobs.get(h.tenantId, jobId)).isOk();
const eventCount = async (h: Harness, jobId: string) =>
  (await h.adapters.jobStore.readEvents({ tenantId: h.tenantId, jobId, limit: 1000 })).length;

describe('row retention', () => {
  it('a job finished long ago disappears with its tasks and events; running, recent and kept-forever jobs stay', async () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const h = await harness({ pipeline: one, logger: recordingLogger(lines) });
    let release = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const handler = async (ctx: { job: { parameters: Record<string, unknown> } }) => {
      if (ctx.job.parameters.block) await blocked;
      return { ok: true };
    };
    const first = h.dalston.createWorker({ queues: ['q'], handler });
    const old = await finishedJob(h);
    const forever = await finishedJob(h, -1);
    // No worker while 91 days pass (its polling timers would fire all along).
    await first.close();
    await h.advance(91 * DAY);
    const worker = h.dalston.createWorker({ queues: ['q'], handler });
    const recent = await finishedJob(h);
    const running = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, parameters: { block: true } })
    )._unsafeUnwrap().id;
    await until(async () => {
      await h.advance(60); // past startWriteDelayMs: the folded start is written
      return (await h.dalston.jobs.get(h.tenantId, running))._unsafeUnwrap().status === 'running';
    });
    const m = h.dalston.maintenance;
    expect((await m.purgeExpired())._unsafeUnwrap()).toBe(1);
    await h.advance(2000); // past eventRelayDelayMs: the relay publishes job.purged
    (await m.relayEvents())._unsafeUnwrap();
    const events = await eventCount(h, old);
    expect(events).toBeGreaterThanOrEqual(5);
    expect((await m.deleteExpiredRows())._unsafeUnwrap()).toEqual({
      jobs: 1,
      tasks: 1,
      events,
      complete: true,
    });
    expect((await h.dalston.jobs.get(h.tenantId, old))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect(await h.adapters.jobStore.getSnapshot(null, old)).toBeNull();
    expect(await eventCount(h, old)).toBe(0);
    const tenantLog = await h.adapters.jobStore.readEvents({ tenantId: h.tenantId, limit: 1000 });
    expect(tenantLog.filter((e) => e.jobId === old)).toEqual([]);
    const listed = (await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(listed.jobs.map((j) => j.id).sort()).toEqual([forever, recent, running].sort());
    for (const id of [forever, recent, running]) {
      expect(await exists(h, id)).toBe(true);
      expect((await h.adapters.jobStore.getSnapshot(null, id))!.tasks).toHaveLength(1);
      expect(await eventCount(h, id)).toBeGreaterThan(0);
    }
    const line = lines.find((l) => l.message === 'maintenance pass deleted expired rows');
    expect(line?.fields).toMatchObject({ pass: 'rows', jobs: 1, tasks: 1, events, complete: true });
    expect(typeof line?.fields.durationMs).toBe('number');
    expect((await m.deleteExpiredRows())._unsafeUnwrap()).toEqual({
      jobs: 0,
      tasks: 0,
      events: 0,
      complete: true,
    });
    release();
    await worker.close();
    await h.dalston.close();
  });

  it('rows wait for the artifact purge: a short row retention never deletes a job before its objects', async () => {
    const h = await harness({ pipeline: one, config: { rowRetentionMs: DAY, defaultRetentionDays: 30 } });
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => ({ uri: (await ctx.artifacts.put('out.txt', 'x')).uri }),
    });
    const id = await finishedJob(h);
    await worker.close();
    const m = h.dalston.maintenance;
    await h.advance(2 * DAY);
    (await m.purgeExpired())._unsafeUnwrap();
    (await m.relayEvents())._unsafeUnwrap();
    expect((await m.deleteExpiredRows())._unsafeUnwrap().jobs).toBe(0);
    expect(await exists(h, id)).toBe(true);
    await h.advance(29 * DAY);
    expect((await m.purgeExpired())._unsafeUnwrap()).toBe(1);
    // The job.purged event is not yet published: the rows wait for the relay.
    expect((await m.deleteExpiredRows())._unsafeUnwrap().jobs).toBe(0);
    await h.advance(2000);
    (await m.relayEvents())._unsafeUnwrap();
    const prefix = `tenants/${h.tenantId}/jobs/${id}/`;
    expect((await h.adapters.artifactStore.list(prefix, { limit: 10 })).items).toEqual([]);
    expect((await m.deleteExpiredRows())._unsafeUnwrap().jobs).toBe(1);
    expect(await exists(h, id)).toBe(false);
    await h.dalston.close();
  });

  it('start() runs row retention with the other passes; rowRetentionMs null keeps every row', async () => {
    for (const rowRetentionMs of [0, null]) {
      const h = await harness({ pipeline: one, config: { rowRetentionMs, defaultRetentionDays: 0 } });
      const worker = h.dalston.createWorker({ queues: ['q'], handler: () => ({ ok: true }) });
      const id = await finishedJob(h);
      (await h.dalston.maintenance.start({ intervalMs: 1000 }))._unsafeUnwrap();
      // One round purges and relays; the next (or the same) deletes the rows.
      for (let i = 0; i < 5; i++) await h.advance(1000);
      if (rowRetentionMs === null) {
        expect((await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().purgedAt).not.toBeNull();
      } else {
        await until(async () => !(await exists(h, id)));
      }
      await worker.close();
      await h.dalston.close();
    }
  });

  it('pages over more jobs than one batch in one pass', async () => {
    const h = await harness({ pipeline: one, config: { rowRetentionMs: 0, defaultRetentionDays: 0 } });
    const worker = h.dalston.createWorker({ queues: ['q'], handler: () => ({ ok: true }) });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await finishedJob(h));
    const m = h.dalston.maintenance;
    expect((await m.purgeExpired())._unsafeUnwrap()).toBe(7);
    await h.advance(2000);
    (await m.relayEvents())._unsafeUnwrap();
    expect((await m.deleteExpiredRows({ batchSize: 2 }))._unsafeUnwrap()).toMatchObject({
      jobs: 7,
      complete: true,
    });
    for (const id of ids) expect(await exists(h, id)).toBe(false);
    await worker.close();
    await h.dalston.close();
  });

  it('a bad batch size or row retention is VALIDATION_FAILED naming the field', async () => {
    const h = await harness({ pipeline: one });
    for (const batchSize of [0, 1001, 1.5]) {
      const r = await h.dalston.maintenance.deleteExpiredRows({ batchSize });
      expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(r._unsafeUnwrapErr().message).toContain('batchSize');
    }
    await h.dalston.close();
    const { createDalston } = await import('../../src/create-dalston.js');
    const { memoryAdapters } = await import('@dalston/adapter-memory');
    expect(() =>
      createDalston({ adapters: memoryAdapters(), pipeline: one, config: { rowRetentionMs: -1 } }),
    ).toThrow(/config\.rowRetentionMs/);
  });
});
