/**
 * Whole-engine contract, row retention: the pass deletes purged jobs finished longer than
 * `rowRetentionMs` ago batch after batch (more jobs than one batch in one pass), and a pass
 * stopped by its budget resumes with the next batch; a running job and a recent purged one
 * keep their rows. Jobs are seeded straight in the JobStore, finished a day ago, so they
 * come first in (finishedAt, id) order even on a shared store.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import { makeEvent, makeJob, makeTask } from './builders.js';
import { type EngineFactory, type EngineRun, withEngine } from './engine.harness.js';
import { observedEngine, slowed } from './engine.maintenance.js';

const DAY = 86_400_000;
const pipeline = { build: () => [] };

/** A purged job of the run's tenant with two tasks and three published events. */
async function seedFinished(run: EngineRun, finishedAt: number, extra: Partial<Job> = {}): Promise<Job> {
  const job = makeJob({
    tenantId: run.tenantId,
    status: 'completed',
    createdAt: finishedAt - 10,
    finishedAt,
    retentionDays: 0,
    purgeAfter: finishedAt,
    purgedAt: finishedAt,
    ...extra,
  });
  const a = makeTask(job, { stage: 'a', status: 'completed' });
  const b = makeTask(job, { stage: 'b', status: 'completed', dependsOn: ['a'] });
  const created = await run.adapters.jobStore.createJob({
    job,
    tasks: [a, b],
    events: [makeEvent(job), makeEvent(job), makeEvent(job)],
  });
  if (!created.created) throw new Error('seed: job not created');
  await run.adapters.jobStore.markPublished(created.events.map((e) => e.id));
  return job;
}

const present = async (run: EngineRun, id: string) =>
  (await run.adapters.jobStore.getSnapshot(null, id)) !== null;

export function engineRowRetentionContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine row retention`, () => {
    it('deletes more jobs than one batch in one pass; running and recent jobs stay', async () => {
      await withEngine(factory, { pipeline, config: { rowRetentionMs: DAY / 2 } }, async (run) => {
        const now = run.time.now();
        const old: Job[] = [];
        for (let i = 0; i < 7; i++) old.push(await seedFinished(run, now - DAY + i));
        const recent = await seedFinished(run, now - 1000);
        const running = makeJob({ tenantId: run.tenantId, status: 'running', createdAt: now - DAY });
        await run.adapters.jobStore.createJob({ job: running, tasks: [], events: [] });
        const r = (await run.dalston.maintenance.deleteExpiredRows({ batchSize: 3 }))._unsafeUnwrap();
        expect(r.complete).toBe(true);
        expect(r.jobs).toBeGreaterThanOrEqual(7);
        for (const j of old) expect(await present(run, j.id)).toBe(false);
        expect(await present(run, recent.id)).toBe(true);
        expect(await present(run, running.id)).toBe(true);
        const events = await run.adapters.jobStore.readEvents({ tenantId: run.tenantId, limit: 1000 });
        expect(new Set(events.map((e) => e.jobId))).toEqual(new Set([recent.id]));
      });
    });

    it('a pass stops once its budget is spent; the next pass goes on with the next batch', async () => {
      await withEngine(factory, { pipeline }, async (run) => {
        const now = run.time.now();
        const old: Job[] = [];
        for (let i = 0; i < 6; i++) old.push(await seedFinished(run, now - DAY + i));
        const jobStore = slowed(run, run.adapters.jobStore, 'deleteExpiredJobRows', 5);
        const o = observedEngine(run, { maintenancePassBudgetMs: 1, rowRetentionMs: DAY / 2 }, { jobStore });
        try {
          const passes: { jobs: number; complete: boolean }[] = [];
          for (let i = 0; i < 10 && (await present(run, old[5]!.id)); i++) {
            const r = (await o.engine.maintenance.deleteExpiredRows({ batchSize: 2 }))._unsafeUnwrap();
            passes.push({ jobs: r.jobs, complete: r.complete });
            const left = await Promise.all(old.map((j) => present(run, j.id)));
            expect(left.filter((p) => !p).length).toBe(Math.min(6, 2 * passes.length));
          }
          expect(passes.slice(0, 3)).toEqual([
            { jobs: 2, complete: false },
            { jobs: 2, complete: false },
            { jobs: 2, complete: false },
          ]);
        } finally {
          await o.engine.close();
        }
      });
    });
  });
}
