/**
 * Whole-engine contract, dead letters through the services: a poison task's letter is
 * listed (task, job, tenant, stage, reason) page by page; redriving it gives the task a new
 * attempt that completes, whether reconcile had failed the task (the job is retried) or not
 * (the task is requeued); discarding removes the letter and leaves the task failed; `all`
 * works through every letter; stats match at each step; bad input names its field.
 */
import type { ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { DalstonError } from '../domain/errors.js';
import type { Lease } from '../ports/work-queue.js';
import {
  type EngineFactory,
  type EngineRun,
  eventually,
  gate,
  randomName,
  withEngine,
} from './engine.harness.js';
import { byQueue, settledStats, statsOf } from './engine.queues.js';

const MAX_DELIVERIES = 2;
/** The queue is in `config.queues`: this engine runs no worker on it before the letters exist. */
const config = (q: string) => ({ maxDeliveries: MAX_DELIVERIES, queuePollMs: 100, queues: [q] });

const submitTo = async (run: EngineRun, queue: string) =>
  (await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { queue } }))._unsafeUnwrap();

/** Submits `n` jobs to `queue` and has their messages dead-lettered: every delivery "crashes". */
async function poisonJobs(run: EngineRun, queue: string, n: number): Promise<string[]> {
  const before = (await run.adapters.workQueue.stats(queue)).dead;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await submitTo(run, queue)).id);
  for (let round = 0; round < MAX_DELIVERIES; round++) {
    for (let i = 0; i < n; i++) {
      let lease: Lease | null = null;
      await eventually(run.time, async () => {
        lease = await run.adapters.workQueue.lease([queue], { leaseMs: 100, waitMs: 0 });
        return lease !== null;
      });
    }
    await run.time.advance(150);
  }
  await eventually(run.time, async () => {
    await run.adapters.workQueue.lease([queue], { leaseMs: 100, waitMs: 0 });
    return (await run.adapters.workQueue.stats(queue)).dead === before + n;
  });
  return ids;
}

const letterOf = async (run: EngineRun, queue: string, jobId: string) => {
  const { items } = (await run.dalston.deadLetters.list(queue, { limit: 1000 }))._unsafeUnwrap();
  const letter = items.find((l) => l.jobId === jobId);
  if (!letter) throw new Error(`no dead letter for job ${jobId}`);
  return letter;
};

export function engineDeadLettersContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine dead letters`, () => {
    it('lists letters page by page; redrive before and after reconcile completes the task; discard leaves it failed', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: config(q) }, async (run) => {
        const [early, late, dropped] = await poisonJobs(run, q, 3);
        expect(await statsOf(run.dalston, q)).toEqual({
          queue: q,
          ready: 0,
          delayed: 0,
          leased: 0,
          dead: 3,
          paused: false,
        });

        const first = (await run.dalston.deadLetters.list(q, { limit: 2 }))._unsafeUnwrap();
        expect(first.items).toHaveLength(2);
        expect(first.nextCursor).not.toBeNull();
        const rest = (
          await run.dalston.deadLetters.list(q, { cursor: first.nextCursor!, limit: 2 })
        )._unsafeUnwrap();
        expect(rest).toMatchObject({ nextCursor: null });
        const all = [...first.items, ...rest.items];
        expect(all.map((l) => l.jobId).sort()).toEqual([early, late, dropped].sort());
        const tasks = await run.tasks(early!);
        expect(await letterOf(run, q, early!)).toEqual({
          id: `${tasks.work!.id}:1`,
          queue: q,
          taskId: tasks.work!.id,
          jobId: early,
          tenantId: run.tenantId,
          stage: 'work',
          attempt: 1,
          taskStatus: 'ready',
          reason: `max deliveries (${MAX_DELIVERIES}) exceeded`,
          deliveries: MAX_DELIVERIES,
          deadAt: expect.any(Number),
          raw: null,
        });

        // Before reconcile the task is still ready at the dead attempt: it is requeued.
        const redriven = (
          await run.dalston.deadLetters.redrive(q, (await letterOf(run, q, early!)).id)
        )._unsafeUnwrap();
        expect(redriven).toEqual({
          redriven: [
            { id: `${tasks.work!.id}:1`, taskId: tasks.work!.id, jobId: early, outcome: 'requeued' },
          ],
          skipped: [],
        });
        expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 1, dead: 2 });
        expect((await run.tasks(early!)).work).toMatchObject({ status: 'ready', attempt: 2, lostLeases: 0 });

        // Reconcile fails the other two; one is redriven (its job retried), one discarded.
        expect((await run.dalston.maintenance.reconcile())._unsafeUnwrap().deadLettered).toBe(2);
        expect(await run.waitFor(late!, 'failed')).toMatchObject({ error: { code: 'DEAD_LETTERED' } });
        await run.waitFor(dropped!, 'failed');
        const retried = (
          await run.dalston.deadLetters.redrive(q, (await letterOf(run, q, late!)).id)
        )._unsafeUnwrap();
        expect(retried.redriven).toMatchObject([{ jobId: late, outcome: 'job_retried' }]);
        expect(
          (await run.dalston.deadLetters.discard(q, (await letterOf(run, q, dropped!)).id))._unsafeUnwrap(),
        ).toEqual({
          discarded: 1,
        });
        expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 2, leased: 0, dead: 0 });
        expect((await run.dalston.deadLetters.list(q))._unsafeUnwrap()).toEqual({
          items: [],
          nextCursor: null,
        });

        run.dalston.createWorker({ queues: [q], waitMs: 50, handler: () => 'fixed' });
        await run.waitFor(early!, 'completed');
        await run.waitFor(late!, 'completed');
        expect((await run.tasks(late!)).work).toMatchObject({
          status: 'completed',
          attempt: 2,
          output: 'fixed',
        });
        expect(await run.job(dropped!)).toMatchObject({ status: 'failed', error: { code: 'DEAD_LETTERED' } });
        await settledStats(run, run.dalston, q, { ready: 0, leased: 0, dead: 0 });
      });
    });

    it('discard before reconcile fails the task at once; a discarded or unknown letter is NOT_FOUND', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: config(q) }, async (run) => {
        const [job] = await poisonJobs(run, q, 1);
        const letter = await letterOf(run, q, job!);
        expect((await run.dalston.deadLetters.discard(q, letter.id))._unsafeUnwrap()).toEqual({
          discarded: 1,
        });
        expect(await run.waitFor(job!, 'failed')).toMatchObject({
          error: { code: 'DEAD_LETTERED', stage: 'work' },
        });
        expect((await run.dalston.deadLetters.discard(q, letter.id))._unsafeUnwrapErr().code).toBe(
          'NOT_FOUND',
        );
        expect((await run.dalston.deadLetters.redrive(q, letter.id))._unsafeUnwrapErr().code).toBe(
          'NOT_FOUND',
        );
        expect((await run.dalston.maintenance.reconcile())._unsafeUnwrap().deadLettered).toBe(0);
        expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 0, dead: 0 });
      });
    });

    it("'all' redrives every letter in pages, reporting what it cannot redrive; 'all' discards the rest", async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: config(q) }, async (run) => {
        const jobs = await poisonJobs(run, q, 4);
        // One job is cancelled meanwhile: its letter cannot be redriven and stays.
        (await run.dalston.jobs.cancel(run.tenantId, jobs[3]!))._unsafeUnwrap();
        const report = (await run.dalston.deadLetters.redrive(q, 'all'))._unsafeUnwrap();
        expect(report.redriven.map((r) => r.jobId).sort()).toEqual(jobs.slice(0, 3).sort());
        expect(report.skipped).toEqual([
          {
            id: expect.any(String),
            code: 'INVALID_TRANSITION',
            message: expect.stringContaining('cancelled'),
          },
        ]);
        expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 3, dead: 1 });
        expect((await run.dalston.deadLetters.discard(q, 'all'))._unsafeUnwrap()).toEqual({ discarded: 1 });
        run.dalston.createWorker({ queues: [q], waitMs: 50, handler: () => 'ok' });
        for (const id of jobs.slice(0, 3)) await run.waitFor(id, 'completed');
        expect((await run.job(jobs[3]!)).status).toBe('cancelled');
        await settledStats(run, run.dalston, q, { ready: 0, leased: 0, dead: 0 });
      });
    });

    it('refuses bad input naming the field', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: config(q) }, async (run) => {
        const dl = run.dalston.deadLetters;
        const field = async <T>(r: ResultAsync<T, DalstonError>) => (await r)._unsafeUnwrapErr();
        expect(await field(dl.list('Not A Queue'))).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'queue',
        });
        expect(await field(dl.list(q, { limit: 0 }))).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'options.limit',
        });
        expect(await field(dl.list(q, { cursor: 'abc' }))).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'options.cursor',
        });
        expect(await field(dl.list(q, { extra: 1 } as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await field(dl.redrive(q, ''))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'id' });
        expect(await field(dl.discard('', 'all'))).toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'queue',
        });
        expect(await field(dl.redrive(q, 'tsk_missing:1'))).toMatchObject({ code: 'NOT_FOUND' });
        expect((await dl.redrive(q, 'all'))._unsafeUnwrap()).toEqual({ redriven: [], skipped: [] });
      });
    });

    it('jobs.retry of a failed job reruns its unfinished tasks and keeps completed ones', async () => {
      const q = randomName('q');
      const pipeline = {
        build: () => [
          { stage: 'a', queue: q },
          { stage: 'b', queue: q, dependsOn: ['a'], maxAttempts: 1 },
          { stage: 'c', queue: q, dependsOn: ['b'] },
        ],
      };
      await withEngine(factory, { pipeline, tenantLimits: { concurrentJobs: 1 } }, async (run) => {
        let failB = true;
        let hold: Promise<void> | null = null;
        const runs: string[] = [];
        run.dalston.createWorker({
          queues: [q],
          waitMs: 50,
          handler: async (ctx) => {
            runs.push(ctx.task.stage);
            if (ctx.task.stage === 'a' && hold) await hold;
            if (ctx.task.stage === 'b' && failB) throw new Error('b is broken');
            return ctx.task.stage;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        expect(await run.waitFor(job.id, 'failed')).toMatchObject({ error: { stage: 'b' } });
        expect((await run.tasks(job.id)).c).toMatchObject({ status: 'cancelled' });
        // The failed job freed its slot: another job takes it, so the retry is refused until it ends.
        const release = gate();
        hold = release.promise;
        const blocker = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        failB = false;
        expect((await run.dalston.jobs.retry(run.tenantId, job.id))._unsafeUnwrapErr().code).toBe(
          'RATE_LIMITED',
        );
        expect((await run.job(job.id)).status).toBe('failed');
        release.open();
        await run.waitFor(blocker.id, 'completed');
        const retried = (await run.dalston.jobs.retry(run.tenantId, job.id))._unsafeUnwrap();
        expect(['pending', 'running', 'completed']).toContain(retried.status);
        await run.waitFor(job.id, 'completed');
        const tasks = await run.tasks(job.id);
        expect(tasks.a).toMatchObject({ status: 'completed', attempt: 1 });
        expect(tasks.b).toMatchObject({ status: 'completed', attempt: 2, failures: 0 });
        expect(tasks.c).toMatchObject({ status: 'completed', attempt: 2, output: 'c' });
        expect(runs.filter((s) => s === 'a')).toHaveLength(2); // the job's a, the blocker's a
        expect((await run.dalston.jobs.retry(run.tenantId, job.id))._unsafeUnwrapErr().code).toBe(
          'INVALID_TRANSITION',
        );
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(events.map((e) => e.type)).toEqual(
          expect.arrayContaining(['job.failed', 'job.retrying', 'job.completed']),
        );
      });
    });
  });
}
