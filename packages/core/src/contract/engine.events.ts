/**
 * Whole-engine contract, events and retention: a job's events stream live and replay
 * from any cursor with no gaps or duplicates; a purge removes every object of a job past
 * its retention and marks it purged while the row stays.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonEvent } from '../domain/events.js';
import { type EngineFactory, eventually, randomName, withEngine } from './engine.harness.js';

async function collect(stream: AsyncIterable<DalstonEvent>, into: DalstonEvent[]): Promise<void> {
  for await (const e of stream) into.push(e);
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
