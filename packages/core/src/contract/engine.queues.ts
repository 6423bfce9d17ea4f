/**
 * Whole-engine contract, queue control: a paused queue is leased by no worker of any engine
 * within `queuePollMs` while other queues flow; attempts already running finish; resume
 * picks up; the pause lives in the job store, so it survives a wipe of the queue store (when
 * the set can wipe it), reconcile and a restarted engine. Stats match the queue at each step.
 */
import { describe, expect, it } from 'vitest';
import type { Dalston } from '../create-dalston.js';
import {
  type EngineFactory,
  type EngineRun,
  eventually,
  gate,
  randomName,
  withEngine,
} from './engine.harness.js';

const POLL_MS = 100;
/** One task per job, on the queue the job's parameters name (shared with engine.dead-letters). */
export const byQueue = { build: (p: { queue: string }) => [{ stage: 'work', queue: p.queue }] };

const submitTo = async (run: EngineRun, queue: string) =>
  (await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { queue } }))._unsafeUnwrap();

/** The queue's line of `stats()` on `engine`. */
export async function statsOf(engine: Dalston, queue: string) {
  const all = (await engine.queues.stats())._unsafeUnwrap();
  return all.find((s) => s.queue === queue);
}

/**
 * Waits until the queue's stats match: a worker acks a finished message just after its
 * outcome commits (with its next lease, on a queue that acks and leases in one call).
 */
export async function settledStats(run: EngineRun, engine: Dalston, queue: string, expected: object) {
  await eventually(run.time, async () => {
    expect(await statsOf(engine, queue)).toMatchObject(expected);
  });
}

export function engineQueuesContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine queue control`, () => {
    it('a queue paused by one engine is leased by no worker of another within the poll interval; others flow; resume picks up', async () => {
      const [qa, qb] = [randomName('q'), randomName('q')];
      await withEngine(factory, { pipeline: byQueue, config: { queuePollMs: POLL_MS } }, async (run) => {
        const other = run.peer();
        const ran: string[] = [];
        other.createWorker({
          queues: [qa, qb],
          concurrency: 2,
          waitMs: 50,
          handler: (ctx) => {
            ran.push(ctx.task.queue);
            return 'ok';
          },
        });
        await run.waitFor((await submitTo(run, qa)).id, 'completed');
        expect((await run.dalston.queues.pause(qa))._unsafeUnwrap()).toMatchObject({
          queue: qa,
          paused: true,
        });
        await run.time.advance(2 * POLL_MS + 50); // the other engine has read the switch by now
        const held = await submitTo(run, qa);
        const flowing = await submitTo(run, qb);
        await run.waitFor(flowing.id, 'completed');
        await run.time.advance(3 * POLL_MS);
        expect((await run.job(held.id)).status).toBe('pending');
        expect((await run.tasks(held.id)).work).toMatchObject({ status: 'ready', attempt: 1 });
        expect(ran).toEqual([qa, qb]);
        expect(await statsOf(run.dalston, qa)).toEqual({
          queue: qa,
          ready: 1,
          delayed: 0,
          leased: 0,
          dead: 0,
          paused: true,
        });
        expect(await statsOf(other, qb)).toEqual({
          queue: qb,
          ready: 0,
          delayed: 0,
          leased: 0,
          dead: 0,
          paused: false,
        });
        const known = (await other.queues.list())._unsafeUnwrap();
        expect(known).toEqual(expect.arrayContaining([qa, qb]));
        expect([...known].sort()).toEqual(known);

        expect((await run.dalston.queues.resume(qa))._unsafeUnwrap()).toMatchObject({
          queue: qa,
          paused: false,
        });
        await run.waitFor(held.id, 'completed');
        await settledStats(run, run.dalston, qa, { ready: 0, leased: 0, paused: false });
      });
    });

    it('pausing a queue lets its running attempts finish; the next message waits', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: { queuePollMs: POLL_MS } }, async (run) => {
        const release = gate();
        const started = gate();
        run.dalston.createWorker({
          queues: [q],
          concurrency: 2,
          waitMs: 50,
          handler: async () => {
            started.open();
            await release.promise;
            return 'done';
          },
        });
        const running = await submitTo(run, q);
        await started.promise;
        (await run.dalston.queues.pause(q))._unsafeUnwrap();
        const waiting = await submitTo(run, q);
        release.open();
        await run.waitFor(running.id, 'completed');
        await run.time.advance(3 * POLL_MS);
        expect((await run.job(waiting.id)).status).toBe('pending');
        await settledStats(run, run.dalston, q, { ready: 1, leased: 0, paused: true });
        (await run.dalston.queues.resume(q))._unsafeUnwrap();
        await run.waitFor(waiting.id, 'completed');
      });
    });

    it('a pause survives a wipe of the queue store, reconcile and a restarted engine', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: byQueue, config: { queuePollMs: POLL_MS } }, async (run) => {
        (await run.dalston.queues.pause(q))._unsafeUnwrap();
        (await run.dalston.queues.pause(q))._unsafeUnwrap(); // idempotent
        const job = await submitTo(run, q);
        if (run.wipeQueue) {
          await run.wipeQueue();
          expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 0, paused: true });
          expect((await run.dalston.maintenance.reconcile())._unsafeUnwrap().requeued).toBeGreaterThanOrEqual(
            1,
          );
        }
        expect(await statsOf(run.dalston, q)).toMatchObject({ ready: 1, leased: 0, paused: true });
        const restarted = run.peer();
        let runs = 0;
        restarted.createWorker({ queues: [q], waitMs: 50, handler: () => ++runs });
        await run.time.advance(4 * POLL_MS);
        expect(runs).toBe(0);
        expect((await run.tasks(job.id)).work).toMatchObject({ status: 'ready', attempt: 1 });
        expect((await restarted.queues.list())._unsafeUnwrap()).toContain(q);
        (await restarted.queues.resume(q))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        expect(runs).toBe(1);
        await settledStats(run, restarted, q, { ready: 0, leased: 0, dead: 0, paused: false });
      });
    });

    it('pause and resume refuse what is not a queue name, naming the field', async () => {
      await withEngine(factory, { pipeline: byQueue }, async (run) => {
        for (const bad of ['', 'Upper', 'a b', 'x'.repeat(64), 42, null]) {
          for (const call of [run.dalston.queues.pause, run.dalston.queues.resume]) {
            const r = await call(bad as string);
            expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'queue' });
          }
        }
      });
    });
  });
}
