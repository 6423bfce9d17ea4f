/**
 * Whole-engine contract, job types: a job is submitted by type (stored with it, shown by
 * get and list, filtered by list), an unknown or missing type is VALIDATION_FAILED naming
 * `type`, typed handlers are routed by job type and stage, a stage's output schema refuses
 * a bad output with INVALID_OUTPUT (no retry), and a worker never leases the queues of a
 * job type it has no handlers for.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Dalston } from '../create-dalston.js';
import { defineJob, type JobMap } from '../services/jobs/job-definition.js';
import { type EngineFactory, type EngineRun, eventually, randomName, withEngine } from './engine.harness.js';

const quick = { kind: 'fixed', delayMs: 10 } as const;

/** Two job types on queues of their own (fresh names per test: shared servers). */
function jobTypes() {
  const [audio, text, render] = [randomName('q'), randomName('q'), randomName('q')];
  const transcribe = defineJob({
    parameters: z.object({ language: z.string(), speakers: z.int().min(1).default(2) }),
    stages: {
      prepare: { queue: audio, output: z.object({ durationMs: z.number() }), backoff: quick },
      diarize: {
        queue: audio,
        dependsOn: ['prepare'],
        required: false,
        output: z.object({ speakers: z.int() }),
      },
      merge: {
        queue: text,
        dependsOn: ['prepare', 'diarize'],
        maxAttempts: 3,
        backoff: quick,
        output: z.object({ text: z.string() }),
      },
    },
    plan: (p) => ({
      ...(p.speakers === 1 ? { omit: ['diarize'] as const } : {}),
      tasks: { merge: { input: { note: `lang ${p.language}` }, priority: 5 } },
    }),
  });
  const exporter = defineJob({
    parameters: z.object({ format: z.enum(['srt', 'vtt']) }),
    // A stage named like one of the other type's: routing is by type and stage.
    stages: { merge: { queue: render, output: z.string() } },
  });
  return { jobs: { transcribe, export: exporter }, queues: { audio, text, render } };
}

type Types = ReturnType<typeof jobTypes>['jobs'];
const typed = (run: EngineRun) => run.dalston as unknown as Dalston<Types>;

async function withTypes(
  factory: EngineFactory,
  body: (run: EngineRun, d: Dalston<Types>, t: ReturnType<typeof jobTypes>) => Promise<void>,
): Promise<void> {
  const t = jobTypes();
  await withEngine(factory, { jobs: t.jobs as JobMap }, (run) => body(run, typed(run), t));
}

export function engineJobTypesContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine job types`, () => {
    it('submits by type: the type is stored, the plan shapes the DAG, typed handlers get parameters and parents', async () => {
      await withTypes(factory, async (run, d) => {
        const seen: Record<string, unknown> = {};
        d.createWorker({
          concurrency: 2,
          waitMs: 100,
          handlers: {
            transcribe: {
              prepare: (ctx) => ({ durationMs: ctx.parameters.language === 'en' ? 1000 : 0 }),
              diarize: (ctx) => ({ speakers: ctx.parameters.speakers }),
              merge: (ctx) => {
                seen.parents = ctx.parents;
                seen.input = ctx.task.input;
                const speakers = ctx.parents.diarize.output?.speakers ?? 'unknown';
                return { text: `${ctx.parents.prepare.output.durationMs}ms, ${speakers} speakers` };
              },
            },
            export: { merge: (ctx) => `export ${ctx.parameters.format}` },
          },
        });
        const one = (
          await d.jobs.submit({ type: 'transcribe', tenantId: run.tenantId, parameters: { language: 'en' } })
        )._unsafeUnwrap();
        expect(one).toMatchObject({ type: 'transcribe', parameters: { language: 'en', speakers: 2 } });
        await run.waitFor(one.id, 'completed');
        expect((await run.job(one.id)).type).toBe('transcribe');
        const tasks = await run.tasks(one.id);
        expect(Object.keys(tasks).sort()).toEqual(['diarize', 'merge', 'prepare']);
        expect(tasks.merge).toMatchObject({ priority: 5, output: { text: '1000ms, 2 speakers' } });
        expect(seen.input).toEqual({ note: 'lang en' });

        // The plan leaves the optional diarize out: merge sees it as skipped (null output).
        const solo = (
          await d.jobs.submit({
            type: 'transcribe',
            tenantId: run.tenantId,
            parameters: { language: 'de', speakers: 1 },
          })
        )._unsafeUnwrap();
        await run.waitFor(solo.id, 'completed');
        const soloTasks = await run.tasks(solo.id);
        expect(Object.keys(soloTasks).sort()).toEqual(['merge', 'prepare']);
        expect(soloTasks.merge!.dependsOn).toEqual(['prepare']);
        expect(seen.parents).toEqual({
          prepare: { status: 'completed', output: { durationMs: 0 } },
          diarize: { status: 'skipped', output: null },
        });
        expect(soloTasks.merge!.output).toEqual({ text: '0ms, unknown speakers' });
      });
    });

    it('refuses an unknown or missing type and parameters the type refuses, naming the field', async () => {
      await withTypes(factory, async (run) => {
        const submit = (input: Record<string, unknown>) =>
          run.dalston.jobs.submit({ tenantId: run.tenantId, ...input } as never);
        const unknown = (await submit({ type: 'transcode', parameters: {} }))._unsafeUnwrapErr();
        expect(unknown).toMatchObject({ code: 'VALIDATION_FAILED', field: 'type' });
        expect(unknown.message).toContain('transcode');
        const missing = (await submit({ parameters: { language: 'en' } }))._unsafeUnwrapErr();
        expect(missing).toMatchObject({ code: 'VALIDATION_FAILED', field: 'type' });
        const wrong = (await submit({ type: 'export', parameters: { format: 'docx' } }))._unsafeUnwrapErr();
        expect(wrong).toMatchObject({ code: 'VALIDATION_FAILED', field: 'parameters.format' });
        const list = (await run.dalston.jobs.list({ tenantId: run.tenantId }))._unsafeUnwrap();
        expect(list.jobs).toEqual([]);
      });
    });

    it('lists by type (one or several), together with the other filters', async () => {
      await withTypes(factory, async (run, d) => {
        const ids = { transcribe: [] as string[], export: [] as string[] };
        for (const language of ['en', 'fr']) {
          const j = await d.jobs.submit({
            type: 'transcribe',
            tenantId: run.tenantId,
            parameters: { language },
          });
          ids.transcribe.push(j._unsafeUnwrap().id);
        }
        const e = await d.jobs.submit({
          type: 'export',
          tenantId: run.tenantId,
          parameters: { format: 'srt' },
        });
        ids.export.push(e._unsafeUnwrap().id);
        const list = async (q: Record<string, unknown>) =>
          (await run.dalston.jobs.list({ tenantId: run.tenantId, ...q }))._unsafeUnwrap().jobs;
        const transcribes = await list({ type: 'transcribe' });
        expect(transcribes.map((j) => j.id).sort()).toEqual([...ids.transcribe].sort());
        expect(transcribes.every((j) => j.type === 'transcribe')).toBe(true);
        expect((await list({ type: 'export' })).map((j) => j.id)).toEqual(ids.export);
        expect(await list({ type: ['export', 'transcribe'] })).toHaveLength(3);
        expect(await list({ type: 'export', status: 'completed' })).toEqual([]);
        expect(await list({ type: 'nothing' })).toEqual([]);
        // Paging within a type.
        const first = (
          await run.dalston.jobs.list({ tenantId: run.tenantId, type: 'transcribe', limit: 1 })
        )._unsafeUnwrap();
        expect(first.jobs).toHaveLength(1);
        const second = (
          await run.dalston.jobs.list({
            tenantId: run.tenantId,
            type: 'transcribe',
            limit: 1,
            cursor: first.nextCursor,
          })
        )._unsafeUnwrap();
        expect(second.jobs.map((j) => j.type)).toEqual(['transcribe']);
        expect(second.jobs[0]!.id).not.toBe(first.jobs[0]!.id);
        const bad = await run.dalston.jobs.list({ tenantId: run.tenantId, type: '' });
        expect(bad._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'type' });
      });
    });

    it('a legacy pipeline engine stores its jobs as type "default"', async () => {
      const q = randomName('q');
      await withEngine(factory, { pipeline: { build: () => [{ stage: 'only', queue: q }] } }, async (run) => {
        run.dalston.createWorker({ queues: [q], waitMs: 100, handler: () => 'ok' });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        expect(job.type).toBe('default');
        await run.waitFor(job.id, 'completed');
        const listed = (
          await run.dalston.jobs.list({ tenantId: run.tenantId, type: 'default' })
        )._unsafeUnwrap();
        expect(listed.jobs.map((j) => j.id)).toEqual([job.id]);
        const typedAway = await run.dalston.jobs.submit({ tenantId: run.tenantId, type: 'other' });
        expect(typedAway._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'type' });
      });
    });

    it('fails a stage whose output its schema refuses with INVALID_OUTPUT naming the field, without a retry', async () => {
      await withTypes(factory, async (run, d) => {
        let mergeRuns = 0;
        d.createWorker({
          waitMs: 100,
          handlers: {
            transcribe: {
              prepare: () => ({ durationMs: 5 }),
              diarize: () => ({ speakers: 2 }),
              merge: () => {
                mergeRuns++;
                return { text: 42 } as unknown as { text: string };
              },
            },
          },
        });
        const job = (
          await d.jobs.submit({ type: 'transcribe', tenantId: run.tenantId, parameters: { language: 'en' } })
        )._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'INVALID_OUTPUT', stage: 'merge' });
        const { merge } = await run.tasks(job.id);
        expect(merge).toMatchObject({ status: 'failed', attempt: 1, failures: 1, output: null });
        expect(merge!.error).toMatchObject({ code: 'INVALID_OUTPUT' });
        expect(merge!.error!.message).toMatch(/^output\.text: .*expected string/);
        expect(mergeRuns).toBe(1);
      });
    });

    it('a worker with handlers for one type leases only its queues: another type waits for its own worker', async () => {
      await withTypes(factory, async (run, d, t) => {
        const exportWorker = d.createWorker({
          waitMs: 50,
          handlers: { export: { merge: (ctx) => `export ${ctx.parameters.format}` } },
        });
        expect([...exportWorker.queues]).toEqual([t.queues.render]);
        const ran: string[] = [];
        const transcribeOnly = d.createWorker({
          waitMs: 50,
          handlers: {
            transcribe: {
              prepare: () => {
                ran.push('prepare');
                return { durationMs: 1 };
              },
              diarize: () => ({ speakers: 1 }),
            },
          },
        });
        expect([...transcribeOnly.queues]).toEqual([t.queues.audio]);
        const job = (
          await d.jobs.submit({ type: 'transcribe', tenantId: run.tenantId, parameters: { language: 'en' } })
        )._unsafeUnwrap();
        // prepare and diarize run; merge (queue `text`) is nobody's here: it stays ready.
        await eventually(run.time, async () => (await run.tasks(job.id)).merge?.status === 'ready', {
          timeoutMs: 5000,
          stepMs: 20,
        });
        for (let i = 0; i < 10; i++) {
          run.time.advance(30);
          await new Promise((r) => setTimeout(r, 30));
        }
        expect((await run.tasks(job.id)).merge).toMatchObject({ status: 'ready', attempt: 1 });
        expect(ran).toEqual(['prepare']);
        // An export job meanwhile completes on the export worker.
        const exp = (
          await d.jobs.submit({ type: 'export', tenantId: run.tenantId, parameters: { format: 'vtt' } })
        )._unsafeUnwrap();
        await run.waitFor(exp.id, 'completed');
        expect((await run.tasks(exp.id)).merge!.output).toBe('export vtt');
        // The merge handler's worker takes the waiting task.
        d.createWorker({ waitMs: 50, handlers: { transcribe: { merge: () => ({ text: 'late' }) } } });
        await run.waitFor(job.id, 'completed');
        expect((await run.tasks(job.id)).merge!.output).toEqual({ text: 'late' });
      });
    });
  });
}
