/**
 * Whole-engine contract, events and retention: a job's events stream live and replay
 * from any cursor with no gaps or duplicates; a purge removes every object of a job past
 * its retention and marks it purged while the row stays.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonEvent } from '../domain/events.js';
import type { JobStore, ReadEventsQuery } from '../ports/job-store.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { type EngineFactory, eventually, gate, randomName, withEngine } from './engine.harness.js';

async function collect(stream: AsyncIterable<DalstonEvent>, into: DalstonEvent[]): Promise<void> {
  for await (const e of stream) into.push(e);
}

/**
 * The factory's adapters with a job store whose first read of a job's events that finds
 * nothing, once armed, runs `between` (which makes the job terminal) before it answers: the
 * terminal transition commits after the stream's read of the log and before its read of the
 * job, the interleaving a loaded host hits by chance.
 */
function commitBetweenReads(factory: EngineFactory) {
  let armed: { jobId: string; between: () => Promise<void> } | null = null;
  let fired = false;
  const hooked = (inner: JobStore) => async (query: ReadEventsQuery) => {
    const page = await inner.readEvents(query);
    const hook = armed;
    if (hook && page.length === 0 && query.jobId === hook.jobId) {
      armed = null;
      await hook.between();
      fired = true;
    }
    return page;
  };
  const wrapped: EngineFactory = async () => {
    const fixture = await factory();
    const inner = fixture.adapters.jobStore;
    const readEvents = hooked(inner);
    const jobStore = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'readEvents') return readEvents;
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { ...fixture, adapters: { ...fixture.adapters, jobStore } };
  };
  return {
    factory: wrapped,
    arm: (jobId: string, between: () => Promise<void>) => {
      armed = { jobId, between };
    },
    fired: () => fired,
  };
}

export function engineEventsContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine events and retention`, () => {
    it('events stream live and resume from any cursor without gaps or duplicates', async () => {
      const q = randomName('q');
      const pipeline = {
        build: () => [
          { stage: 'a', queue: q },
          { stage: 'b', queue: q, dependsOn: ['a'] },
        ],
      };
      await withEngine(factory, { pipeline }, async (run) => {
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const live: DalstonEvent[] = [];
        let ended = false;
        const streaming = collect(run.dalston.jobs.events(run.tenantId, job.id), live).then(() => {
          ended = true;
        });
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            await ctx.progress({ pct: 50 });
            return ctx.task.stage;
          },
        });
        await run.waitFor(job.id, 'completed');
        await eventually(run.time, () => ended);
        await streaming;
        const log = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(live.map((e) => e.id)).toEqual(log.map((e) => e.id));
        expect(live.at(-1)!.type).toBe('job.completed');
        expect(live.some((e) => e.type === 'task.progress')).toBe(true);
        for (const cut of [0, 1, Math.floor(log.length / 2), log.length - 1]) {
          const resumed: DalstonEvent[] = [];
          const after = cut === 0 ? undefined : log[cut - 1]!.id;
          await collect(
            run.dalston.jobs.events(run.tenantId, job.id, after === undefined ? {} : { after }),
            resumed,
          );
          expect([...log.slice(0, cut), ...resumed].map((e) => e.id)).toEqual(log.map((e) => e.id));
        }
      });
    });

    it('a live stream yields the terminal events committed between its read of the log and of the job', async () => {
      const q = randomName('q');
      const race = commitBetweenReads(factory);
      const release = gate();
      let started = false;
      await withEngine(
        race.factory,
        { pipeline: { build: () => [{ stage: 'a', queue: q }] } },
        async (run) => {
          run.dalston.createWorker({
            queues: [q],
            waitMs: 100,
            handler: async () => {
              started = true;
              await release.promise;
              return 'done';
            },
          });
          const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
          const live: DalstonEvent[] = [];
          let ended = false;
          const streaming = collect(run.dalston.jobs.events(run.tenantId, job.id), live).then(() => {
            ended = true;
          });
          await eventually(run.time, () => started, { timeoutMs: 5000 });
          race.arm(job.id, async () => {
            release.open();
            await run.waitFor(job.id, 'completed');
          });
          await eventually(run.time, () => ended, { timeoutMs: 10_000 });
          await streaming;
          expect(race.fired()).toBe(true);
          const log = (
            await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
          )._unsafeUnwrap();
          expect(live.map((e) => `${e.id}:${e.type}`)).toEqual(log.map((e) => `${e.id}:${e.type}`));
          expect(live.at(-1)!.type).toBe('job.completed');
        },
      );
    });

    it('a replay of a failed job that was retried runs past the first job.failed to the end', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'a', queue: q, maxAttempts: 1 }] };
      await withEngine(factory, { pipeline }, async (run) => {
        let calls = 0;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async () => {
            calls += 1;
            if (calls === 1) throw new TaskFailure('first try fails', { retryable: false });
            return 'second try';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'failed');
        (await run.dalston.jobs.retry(run.tenantId, job.id))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        const log = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(log.map((e) => e.type)).toContain('job.failed');
        const replayed: DalstonEvent[] = [];
        await collect(run.dalston.jobs.events(run.tenantId, job.id), replayed);
        expect(replayed.map((e) => e.id)).toEqual(log.map((e) => e.id));
        expect(replayed.at(-1)!.type).toBe('job.completed');
      });
    });

    it("another tenant's job reads as NOT_FOUND everywhere", async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: { build: () => [{ stage: 'a', queue: q }] } }, async (run) => {
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const other = randomName('t');
        (await run.dalston.tenants.create({ id: other, name: other }))._unsafeUnwrap();
        expect((await run.dalston.jobs.get(other, job.id))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
        expect((await run.dalston.jobs.cancel(other, job.id))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
        expect((await run.dalston.jobs.readEvents(other, job.id))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
        await expect(collect(run.dalston.jobs.events(other, job.id), [])).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });
    });

    it('a purge deletes the objects of jobs past retention, sets purgedAt and keeps the row', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: { build: () => [{ stage: 'a', queue: q }] } }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => (await ctx.artifacts.put('out.txt', 'result')).uri,
        });
        const job = (
          await run.dalston.jobs.submit({
            tenantId: run.tenantId,
            retentionDays: 0,
            input: { name: 'in.txt', body: 'hello' },
          })
        )._unsafeUnwrap();
        const kept = (
          await run.dalston.jobs.submit({
            tenantId: run.tenantId,
            retentionDays: -1,
            input: { name: 'in.txt', body: 'x' },
          })
        )._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        await run.waitFor(kept.id, 'completed');
        const prefix = `tenants/${run.tenantId}/jobs/${job.id}/`;
        expect((await run.adapters.artifactStore.list(prefix)).items).toHaveLength(2);
        expect((await run.dalston.maintenance.purgeExpired())._unsafeUnwrap()).toBeGreaterThanOrEqual(1);
        expect((await run.adapters.artifactStore.list(prefix)).items).toEqual([]);
        expect((await run.job(job.id)).purgedAt).not.toBeNull();
        expect((await run.job(kept.id)).purgedAt).toBeNull();
        expect(
          (await run.adapters.artifactStore.list(`tenants/${run.tenantId}/jobs/${kept.id}/`)).items,
        ).toHaveLength(2);
      });
    });
  });
}
