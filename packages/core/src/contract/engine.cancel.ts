/**
 * Whole-engine contract, cancellation: pending work is cancelled at once (its queued
 * messages removed); running work is signalled, in this process and in another one
 * (through the task's cancel flag its worker reads at each heartbeat).
 */
import { describe, expect, it } from 'vitest';
import { aborted, type EngineFactory, eventually, gate, randomName, withEngine } from './engine.harness.js';

export function engineCancelContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine cancellation`, () => {
    it('cancelling a job nobody runs cancels every task and removes the queued messages', async () => {
      const q = randomName('q');
      const pipeline = {
        build: () => [
          { stage: 'a', queue: q },
          { stage: 'b', queue: q, dependsOn: ['a'] },
        ],
      };
      await withEngine(factory, { pipeline }, async (run) => {
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        expect((await run.adapters.workQueue.stats(q)).ready).toBe(1);
        const cancelled = (await run.dalston.jobs.cancel(run.tenantId, job.id))._unsafeUnwrap();
        expect(cancelled.status).toBe('cancelled');
        const tasks = await run.tasks(job.id);
        expect([tasks.a!.status, tasks.b!.status]).toEqual(['cancelled', 'cancelled']);
        expect(await run.adapters.workQueue.stats(q)).toMatchObject({ ready: 0, delayed: 0, leased: 0 });
        expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:jobs`)).toEqual([]);
      });
    });

    it('cancelling running work aborts the handler and ends the job cancelled', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'long', queue: q }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const started = gate();
        let sawAbort = false;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            started.open();
            await aborted(ctx.signal);
            sawAbort = ctx.signal.aborted;
            return null;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await started.promise;
        const cancelling = (await run.dalston.jobs.cancel(run.tenantId, job.id))._unsafeUnwrap();
        expect(['cancelling', 'cancelled']).toContain(cancelling.status);
        await run.waitFor(job.id, 'cancelled');
        expect(sawAbort).toBe(true);
        expect((await run.tasks(job.id)).long!.status).toBe('cancelled');
      });
    });

    it('a cancel from another host reaches the running handler through its heartbeat', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'long', queue: q }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const workerHost = run.peer();
        const started = gate();
        let sawAbort = false;
        workerHost.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            started.open();
            await aborted(ctx.signal);
            sawAbort = true;
            return null;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await started.promise;
        await run.dalston.jobs.cancel(run.tenantId, job.id);
        await run.waitFor(job.id, 'cancelled');
        await eventually(run.time, () => sawAbort);
      });
    });
  });
}
