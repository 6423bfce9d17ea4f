/**
 * Whole-engine contract, leases kept alive: a handler that runs far longer than
 * `leaseMs` keeps its task by heartbeat. Sampled at every step: the task stays `running`
 * on its first attempt and lease token with a lease in the future, no second worker (in
 * another engine, on the same queue) gets it, and maintenance passes do not take it back;
 * then it completes once.
 */
import { describe, expect, it } from 'vitest';
import {
  type EngineFactory,
  eventually,
  gate,
  randomName,
  SUITE_CONFIG,
  withEngine,
} from './engine.harness.js';

const LEASE_MS = SUITE_CONFIG.leaseMs!;
const STEP = 100;

export function engineLeasesContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine leases`, () => {
    it('a handler running 3 × leaseMs keeps its lease by heartbeat and completes once', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'long', queue: q, timeoutMs: 20 * LEASE_MS }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const release = gate();
        let calls = 0;
        const handler = async () => {
          calls += 1;
          await release.promise;
          return 'done';
        };
        run.dalston.createWorker({ queues: [q], waitMs: 100, handler });
        run.peer().createWorker({ queues: [q], waitMs: 100, handler });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await eventually(run.time, () => calls === 1, { timeoutMs: 5000 });
        // A folded start is written once the handler outlives startWriteDelayMs.
        await eventually(run.time, async () => (await run.tasks(job.id)).long!.status === 'running');
        const first = (await run.tasks(job.id)).long!;
        const startedAt = run.time.now();
        for (let step = 1; run.time.now() - startedAt < 3 * LEASE_MS; step++) {
          await run.time.advance(STEP);
          if (step % 5 === 0) (await run.dalston.maintenance.reconcile())._unsafeUnwrap();
          const t = (await run.tasks(job.id)).long!;
          const at = `${run.time.now() - startedAt} ms in`;
          expect({ status: t.status, attempt: t.attempt, token: t.leaseToken }, at).toEqual({
            status: 'running',
            attempt: first.attempt,
            token: first.leaseToken,
          });
          expect(t.leaseExpiresAt!, at).toBeGreaterThan(run.time.now());
          expect(calls, at).toBe(1);
        }
        release.open();
        await run.waitFor(job.id, 'completed');
        expect(calls).toBe(1);
        const log = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(log.filter((e) => e.type === 'task.started')).toHaveLength(1);
        expect(log.filter((e) => e.type === 'task.completed')).toHaveLength(1);
        expect((await run.tasks(job.id)).long!.attempt).toBe(first.attempt);
      });
    });
  });
}
