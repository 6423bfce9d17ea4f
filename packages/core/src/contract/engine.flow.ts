/**
 * Whole-engine contract, flows: a multi-parent DAG completes with its parents' outputs;
 * retries with backoff; optional failure → skipped; required failure → job failed and the
 * rest cancelled; timeouts; idempotent submit (also concurrent).
 */
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../domain/task.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { aborted, type EngineFactory, eventually, gate, withEngine } from './engine.harness.js';

const diamond = (a: string, b: string, opts: Partial<Record<string, Partial<TaskSpec>>> = {}): TaskSpec[] => [
  { stage: 'prepare', queue: a, ...opts.prepare },
  { stage: 'transcribe', queue: b, dependsOn: ['prepare'], ...opts.transcribe },
  { stage: 'diarize', queue: b, dependsOn: ['prepare'], ...opts.diarize },
  { stage: 'merge', queue: a, dependsOn: ['transcribe', 'diarize'], ...opts.merge },
];

export function engineFlowContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine flows`, () => {
    it('runs a multi-parent DAG to completion, handing parents outputs to children', async () => {
      const [a, b] = ['q-flow-a', 'q-flow-b'].map((q) => `${q}-${Math.random().toString(36).slice(2, 8)}`);
      await withEngine(factory, { pipeline: { build: () => diamond(a!, b!) } }, async (run) => {
        const parentsSeen: Record<string, unknown> = {};
        run.dalston.createWorker({
          queues: [a!, b!],
          concurrency: 3,
          waitMs: 100,
          handler: async (ctx) => {
            parentsSeen[ctx.task.stage] = ctx.parents;
            return { stage: ctx.task.stage, lang: ctx.job.parameters.lang ?? null };
          },
        });
        const job = (
          await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { lang: 'en' } })
        )._unsafeUnwrap();
        const done = await run.waitFor(job.id, 'completed');
        expect(done.finishedAt).not.toBeNull();
        expect(parentsSeen.merge).toEqual({
          transcribe: { status: 'completed', output: { stage: 'transcribe', lang: 'en' } },
          diarize: { status: 'completed', output: { stage: 'diarize', lang: 'en' } },
        });
        const tasks = await run.tasks(job.id);
        expect(Object.values(tasks).map((t) => t.status)).toEqual([
          'completed',
          'completed',
          'completed',
          'completed',
        ]);
        expect(tasks.merge!.output).toEqual({ stage: 'merge', lang: 'en' });
      });
    });

    it('retries a failing task after its backoff, then completes', async () => {
      const q = `q-retry-${Math.random().toString(36).slice(2, 8)}`;
      const backoff = { kind: 'fixed' as const, delayMs: 200 };
      const pipeline = { build: () => [{ stage: 'flaky', queue: q, maxAttempts: 3, backoff }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const startedAt: number[] = [];
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async () => {
            startedAt.push(run.time.now());
            if (startedAt.length < 3) throw new Error(`boom ${startedAt.length}`);
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        expect(startedAt).toHaveLength(3);
        expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(200);
        expect(startedAt[2]! - startedAt[1]!).toBeGreaterThanOrEqual(200);
        const { flaky } = await run.tasks(job.id);
        expect(flaky).toMatchObject({ status: 'completed', attempt: 3, failures: 2, output: 'ok' });
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(events.filter((e) => e.type === 'task.retrying')).toHaveLength(2);
      });
    });

    it('an optional task that fails is skipped; its dependents still run and the job completes', async () => {
      const q = `q-opt-${Math.random().toString(36).slice(2, 8)}`;
      const pipeline = { build: () => diamond(q, q, { diarize: { required: false } }) };
      await withEngine(factory, { pipeline }, async (run) => {
        let mergeParents: unknown;
        run.dalston.createWorker({
          queues: [q],
          concurrency: 2,
          waitMs: 100,
          handlers: {
            prepare: () => 'p',
            transcribe: () => 't',
            diarize: () => {
              throw new TaskFailure('no speakers', { retryable: false });
            },
            merge: (ctx) => {
              mergeParents = ctx.parents;
              return 'm';
            },
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        expect(mergeParents).toEqual({
          transcribe: { status: 'completed', output: 't' },
          diarize: { status: 'skipped', output: null },
        });
        const tasks = await run.tasks(job.id);
        expect(tasks.diarize).toMatchObject({
          status: 'skipped',
          attempt: 1,
          error: { code: 'TASK_FAILED' },
        });
      });
    });

    it('a required task that fails fails the job; pending work is cancelled and running work aborted', async () => {
      const q = `q-req-${Math.random().toString(36).slice(2, 8)}`;
      const pipeline = {
        build: () => [
          { stage: 'bad', queue: q },
          { stage: 'slow', queue: q },
          { stage: 'after', queue: q, dependsOn: ['bad'] },
        ],
      };
      await withEngine(factory, { pipeline }, async (run) => {
        let slowAborted = false;
        const slowStarted = gate();
        run.dalston.createWorker({
          queues: [q],
          concurrency: 2,
          waitMs: 100,
          handlers: {
            slow: async (ctx) => {
              slowStarted.open();
              await aborted(ctx.signal);
              slowAborted = true;
              return null;
            },
            bad: async () => {
              await slowStarted.promise;
              throw new TaskFailure('corrupt input', { retryable: false, code: 'BAD_INPUT' });
            },
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'BAD_INPUT', stage: 'bad' });
        await eventually(run.time, () => slowAborted);
        const tasks = await run.tasks(job.id);
        expect(tasks.bad!.status).toBe('failed');
        expect(tasks.slow!.status).toBe('cancelled');
        expect(tasks.after!.status).toBe('cancelled');
      });
    });

    it('an attempt past its timeoutMs is aborted and counts as a failed attempt', async () => {
      const q = `q-timeout-${Math.random().toString(36).slice(2, 8)}`;
      const pipeline = { build: () => [{ stage: 'stuck', queue: q, timeoutMs: 300, maxAttempts: 1 }] };
      await withEngine(factory, { pipeline }, async (run) => {
        let sawAbort = false;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            await aborted(ctx.signal);
            sawAbort = true;
            return null;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'TIMEOUT', stage: 'stuck' });
        expect(sawAbort).toBe(true);
      });
    });

    it('submit with a used idempotency key returns the same job, also under concurrency', async () => {
      const q = `q-idem-${Math.random().toString(36).slice(2, 8)}`;
      const pipeline = { build: () => [{ stage: 'only', queue: q }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const submit = () =>
          run.dalston.jobs.submit({
            tenantId: run.tenantId,
            idempotencyKey: 'order-42',
            input: { name: 'a.txt', body: 'x' },
          });
        const results = await Promise.all([submit(), submit(), submit(), submit(), submit()]);
        const ids = new Set(results.map((r) => r._unsafeUnwrap().id));
        expect(ids.size).toBe(1);
        const again = (await submit())._unsafeUnwrap();
        expect(ids.has(again.id)).toBe(true);
        const page = (await run.dalston.jobs.list({ tenantId: run.tenantId }))._unsafeUnwrap();
        expect(page.jobs.map((j) => j.id)).toEqual([again.id]);
        expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:jobs`)).toEqual([again.id]);
        const objects = await run.adapters.artifactStore.list(`tenants/${run.tenantId}/`);
        expect(objects.items.map((o) => o.key)).toEqual([
          `tenants/${run.tenantId}/jobs/${again.id}/input/a.txt`,
        ]);
      });
    });
  });
}
