/**
 * Whole-engine contract, bulk submit and the read API: `jobs.submitMany` creates a batch
 * that runs like single submits, answers idempotent items with their jobs in place,
 * refuses a batch with invalid items listing each (and writes nothing, checked through
 * `jobs.list`, the key lookup and the slot holders), admits a batch all or nothing at the
 * tenant's concurrent-job limit; `jobs.get` returns the job with its tasks and DAG edges.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DalstonError } from '../domain/errors.js';
import type { TaskSpec } from '../domain/task.js';
import type { SubmitInput } from '../services/jobs/submit.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { type EngineFactory, type EngineRun, randomName, withEngine } from './engine.harness.js';

const one = (q: string) => ({ build: () => [{ stage: 'only', queue: q }] });

/** The jobs of the run's tenant (newest first) and the holders of its job slots. */
async function stored(run: EngineRun) {
  const page = (await run.dalston.jobs.list({ tenantId: run.tenantId, limit: 1000 }))._unsafeUnwrap();
  const holders = await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:jobs`);
  return { ids: page.jobs.map((j) => j.id), holders };
}

export function engineBulkReadContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine submitMany and jobs.get`, () => {
    it('submitMany creates every job in order, and each runs to completion', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: one(q) }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          concurrency: 4,
          waitMs: 100,
          handler: (ctx) => ({ n: ctx.job.parameters.n ?? null }),
        });
        const inputs = Array.from({ length: 12 }, (_, n) => ({ tenantId: run.tenantId, parameters: { n } }));
        const jobs = (await run.dalston.jobs.submitMany(inputs))._unsafeUnwrap();
        expect(jobs.map((j) => j.parameters.n)).toEqual(inputs.map((i) => i.parameters.n));
        expect(new Set(jobs.map((j) => j.id)).size).toBe(12);
        expect(jobs.every((j) => j.status === 'pending' && j.tenantId === run.tenantId)).toBe(true);
        for (const job of jobs) {
          await run.waitFor(job.id, 'completed');
          const details = (await run.dalston.jobs.get(run.tenantId, job.id))._unsafeUnwrap();
          expect(details.tasks.map((t) => t.output)).toEqual([{ n: job.parameters.n }]);
        }
        expect((await stored(run)).ids.sort()).toEqual(jobs.map((j) => j.id).sort());
      });
    });

    it('an item whose idempotency key was used returns that job in its place; one key in a batch is one job', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: one(q) }, async (run) => {
        const tenantId = run.tenantId;
        const earlier = (await run.dalston.jobs.submit({ tenantId, idempotencyKey: 'used' }))._unsafeUnwrap();
        const jobs = (
          await run.dalston.jobs.submitMany([
            { tenantId, idempotencyKey: 'new-1' },
            { tenantId, idempotencyKey: 'used', parameters: { ignored: true } },
            { tenantId },
            { tenantId, idempotencyKey: 'new-1' },
          ])
        )._unsafeUnwrap();
        expect(jobs[1]!.id).toBe(earlier.id);
        expect(jobs[1]!.parameters).toEqual({});
        expect(jobs[3]!.id).toBe(jobs[0]!.id);
        expect(new Set(jobs.map((j) => j.id)).size).toBe(3);
        const { ids, holders } = await stored(run);
        expect(ids.sort()).toEqual([earlier.id, jobs[0]!.id, jobs[2]!.id].sort());
        // Only created jobs hold slots: the slots taken for the used key were given back.
        expect(holders.sort()).toEqual([...ids].sort());
        const again = (
          await run.dalston.jobs.submitMany([
            { tenantId, idempotencyKey: 'new-1' },
            { tenantId, idempotencyKey: 'used' },
          ])
        )._unsafeUnwrap();
        expect(again.map((j) => j.id)).toEqual([jobs[0]!.id, earlier.id]);
        expect((await stored(run)).ids).toHaveLength(3);
      });
    });

    it('invalid items are reported each, by index and field, and nothing is written', async () => {
      const q = randomName('q');
      const parameters = z.object({ lang: z.enum(['en', 'de']) });
      const pipeline = { parameters, build: () => [{ stage: 'only', queue: q }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const tenantId = run.tenantId;
        const inputs = [
          { tenantId, parameters: { lang: 'en' }, idempotencyKey: 'fine' },
          { tenantId, parameters: { lang: 'fr' } },
          { tenantId, parameters: { lang: 'de' }, retentionDays: -5 },
          { tenantId, parameters: { lang: 'de' }, input: { name: 'a.wav', body: new Uint8Array([1]) } },
          { tenantId: `${tenantId}-other`, parameters: { lang: 'de' } },
        ];
        const error = (await run.dalston.jobs.submitMany(inputs))._unsafeUnwrapErr();
        expect(error.code).toBe('VALIDATION_FAILED');
        const items = (error.details?.items ?? []) as { index: number; field: string; message: string }[];
        expect(items.map((i) => [i.index, i.field])).toEqual([
          [2, 'retentionDays'],
          [3, 'input'],
          [4, 'tenantId'],
        ]);
        // Pipeline checks run once the items parse: fix the shape, and the parameters are reported.
        const shaped = inputs.slice(0, 2);
        const second = (await run.dalston.jobs.submitMany(shaped))._unsafeUnwrapErr();
        expect(second.field).toBe('inputs[1].parameters.lang');
        expect(second.details?.items).toEqual([
          { index: 1, field: 'parameters.lang', message: expect.any(String) },
        ]);
        const { ids, holders } = await stored(run);
        expect(ids).toEqual([]);
        expect(holders).toEqual([]);
        expect(await run.adapters.jobStore.getJobByIdempotencyKey(tenantId, 'fine')).toBeNull();
      });
    });

    it('refuses batches of no items or more than 1000, naming inputs', async () => {
      await withEngine(factory, { pipeline: one(randomName('q')) }, async (run) => {
        const item = { tenantId: run.tenantId };
        const empty = (await run.dalston.jobs.submitMany([]))._unsafeUnwrapErr();
        const big = (
          await run.dalston.jobs.submitMany(Array.from({ length: 1001 }, () => item))
        )._unsafeUnwrapErr();
        const notArray = (
          await run.dalston.jobs.submitMany(item as unknown as SubmitInput[])
        )._unsafeUnwrapErr();
        for (const e of [empty, big, notArray])
          expect([e.code, e.field]).toEqual(['VALIDATION_FAILED', 'inputs']);
        expect((await stored(run)).ids).toEqual([]);
      });
    });

    it('a batch at the tenant limit is admitted whole; one more job does not fit, and nothing of it is kept', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: one(q), tenantLimits: { concurrentJobs: 3 } }, async (run) => {
        const tenantId = run.tenantId;
        const first = (await run.dalston.jobs.submit({ tenantId }))._unsafeUnwrap();
        const batch = [{ tenantId }, { tenantId }];
        const admitted = (await run.dalston.jobs.submitMany(batch))._unsafeUnwrap();
        expect(admitted).toHaveLength(2);
        const atLimit = (await stored(run)).ids.sort();
        expect(atLimit).toEqual([first.id, ...admitted.map((j) => j.id)].sort());
        const refused = (await run.dalston.jobs.submitMany([{ tenantId }]))._unsafeUnwrapErr();
        expect(refused.code).toBe('RATE_LIMITED');
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        await run.dalston.jobs.cancel(tenantId, first.id);
        // Two free slots now are not enough for three: all or nothing, the slots taken go back.
        const tooMany = (
          await run.dalston.jobs.submitMany([{ tenantId }, { tenantId }, { tenantId }])
        )._unsafeUnwrapErr() as DalstonError;
        expect(tooMany.code).toBe('RATE_LIMITED');
        const after = await stored(run);
        expect(after.ids.sort()).toEqual(atLimit);
        expect(after.holders.sort()).toEqual(admitted.map((j) => j.id).sort());
        const bigger = (
          await run.dalston.jobs.submitMany([1, 2, 3, 4].map(() => ({ tenantId })))
        )._unsafeUnwrapErr();
        expect([bigger.code, bigger.details?.limit]).toEqual(['RATE_LIMITED', 3]);
        const fits = (await run.dalston.jobs.submitMany([{ tenantId }]))._unsafeUnwrap();
        expect((await stored(run)).holders.sort()).toEqual([...admitted, ...fits].map((j) => j.id).sort());
      });
    });

    it('jobs.get returns the job with its tasks and edges: a diamond with a skipped optional stage', async () => {
      const q = randomName('q');
      const specs: TaskSpec[] = [
        { stage: 'prepare', queue: q },
        { stage: 'transcribe', queue: q, dependsOn: ['prepare'] },
        { stage: 'diarize', queue: q, dependsOn: ['prepare'], required: false, maxAttempts: 1 },
        { stage: 'merge', queue: q, dependsOn: ['transcribe', 'diarize'] },
      ];
      await withEngine(factory, { pipeline: { build: () => specs } }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          concurrency: 2,
          waitMs: 100,
          handlers: {
            prepare: () => ({ uri: 'memory://prepared' }),
            transcribe: () => 't',
            diarize: () => {
              throw new TaskFailure('no speakers', { retryable: false, code: 'NO_SPEAKERS' });
            },
            merge: () => ({ merged: true }),
          },
        });
        const job = (
          await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { x: 1 } })
        )._unsafeUnwrap();
        const pending = (await run.dalston.jobs.get(run.tenantId, job.id))._unsafeUnwrap();
        const { id, tenantId, parameters, correlationId, createdAt } = job;
        expect(pending).toMatchObject({ id, tenantId, parameters, correlationId, createdAt });
        expect(pending.tasks.map((t) => t.stage)).toEqual(specs.map((s) => s.stage));
        await run.waitFor(job.id, 'completed');
        const details = (await run.dalston.jobs.get(run.tenantId, job.id))._unsafeUnwrap();
        const { tasks, edges, ...rest } = details;
        expect(rest).toEqual(await run.adapters.jobStore.getJob(run.tenantId, job.id));
        expect(edges).toEqual([
          { from: 'prepare', to: 'transcribe' },
          { from: 'prepare', to: 'diarize' },
          { from: 'transcribe', to: 'merge' },
          { from: 'diarize', to: 'merge' },
        ]);
        expect(tasks.map((t) => [t.stage, t.status, t.required])).toEqual([
          ['prepare', 'completed', true],
          ['transcribe', 'completed', true],
          ['diarize', 'skipped', false],
          ['merge', 'completed', true],
        ]);
        const [prepare, , diarize, merge] = tasks;
        expect(prepare).toMatchObject({ queue: q, attempt: 1, failures: 0, dependsOn: [], error: null });
        expect(prepare!.output).toEqual({ uri: 'memory://prepared' });
        expect(merge).toMatchObject({ dependsOn: ['transcribe', 'diarize'], output: { merged: true } });
        expect(diarize).toMatchObject({ failures: 1, output: null, error: { code: 'NO_SPEAKERS' } });
        for (const t of tasks) {
          expect(t.id).toEqual(expect.any(String));
          expect(t.finishedAt).toBeGreaterThanOrEqual(t.createdAt);
          expect(Object.keys(t)).not.toContain('leaseToken');
        }
        expect(merge!.startedAt).toBeGreaterThanOrEqual(prepare!.finishedAt!);
        expect((await run.dalston.jobs.get(`${run.tenantId}-x`, job.id))._unsafeUnwrapErr().code).toBe(
          'NOT_FOUND',
        );
      });
    });
  });
}
