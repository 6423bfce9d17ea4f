/**
 * Type-level tests of job types (checked by `npm run typecheck`, which includes this
 * file): what the compiler infers for `jobs.submit`, `ctx.parameters`, `ctx.parents` and
 * a stage's return value, and the errors it must report. Each `@ts-expect-error` fails the
 * typecheck as soon as the error it expects is no longer reported.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  createDalston,
  type Dalston,
  defineJob,
  type Job,
  type JsonValue,
  type StageContext,
  type TaskStatus,
} from '../../src/index.js';

const transcribe = defineJob({
  parameters: z.object({ language: z.string(), speakers: z.int().optional() }),
  stages: {
    prepare: { queue: 'audio', output: z.object({ uri: z.string(), durationMs: z.number() }) },
    diarize: {
      queue: 'audio',
      dependsOn: ['prepare'],
      required: false,
      output: z.object({ speakers: z.array(z.string()) }),
    },
    merge: { queue: 'text', dependsOn: ['prepare', 'diarize'], output: z.object({ text: z.string() }) },
    notify: { queue: 'text', dependsOn: ['merge'] },
  },
  plan: (p) => (p.speakers === 1 ? { omit: ['diarize'] } : {}),
});

const exporter = defineJob({
  parameters: z.object({ format: z.enum(['srt', 'vtt']) }),
  stages: { render: { queue: 'export', output: z.string() } },
});

type Jobs = { transcribe: typeof transcribe; export: typeof exporter };
const engine = (): Dalston<Jobs> =>
  createDalston({ adapters: memoryAdapters(), jobs: { transcribe, export: exporter } });

/** The checks are the compiler's: the bodies are type-checked, never run (no engine, no worker starts). */
const typesOnly = (_body: () => void): void => {};

describe('job types: compile-time checks', () => {
  it('createDalston infers the job map', () =>
    typesOnly(() => {
      const d = createDalston({ adapters: memoryAdapters(), jobs: { transcribe, export: exporter } });
      expectTypeOf(d).toEqualTypeOf<
        Dalston<{ readonly transcribe: typeof transcribe; readonly export: typeof exporter }>
      >();
    }));

  it('submit is typed by the job type', () =>
    typesOnly(() => {
      const d = engine();
      expectTypeOf(d.jobs.submit).parameter(0).toHaveProperty('type');
      void d.jobs.submit({ type: 'transcribe', tenantId: 't', parameters: { language: 'en' } });
      void d.jobs.submit({ type: 'export', tenantId: 't', parameters: { format: 'srt' } });
      // @ts-expect-error a wrong parameter field
      void d.jobs.submit({ type: 'transcribe', tenantId: 't', parameters: { languag: 'en' } });
      // @ts-expect-error parameters of the other type
      void d.jobs.submit({ type: 'export', tenantId: 't', parameters: { language: 'en' } });
      // @ts-expect-error an unknown type
      void d.jobs.submit({ type: 'transcode', tenantId: 't', parameters: {} });
      // @ts-expect-error `type` is required when the engine has more than one type
      void d.jobs.submit({ tenantId: 't', parameters: { language: 'en' } });
    }));

  it('`type` may be left out with exactly one job type', () =>
    typesOnly(() => {
      const d = createDalston({ adapters: memoryAdapters(), jobs: { export: exporter } });
      void d.jobs.submit({ tenantId: 't', parameters: { format: 'vtt' } });
      // @ts-expect-error a value the schema does not accept
      void d.jobs.submit({ tenantId: 't', parameters: { format: 'docx' } });
    }));

  it('handlers see typed parameters and parents, and return their output type', () =>
    typesOnly(() => {
      const d = engine();
      d.createWorker({
        handlers: {
          transcribe: {
            prepare: async (ctx) => {
              expectTypeOf(ctx.parameters).toEqualTypeOf<{
                language: string;
                speakers?: number | undefined;
              }>();
              expectTypeOf(ctx.parents).toEqualTypeOf<{}>();
              return { uri: 's3://x', durationMs: 1 };
            },
            diarize: async (ctx) => {
              expectTypeOf(ctx.parents.prepare.output).toEqualTypeOf<{ uri: string; durationMs: number }>();
              return { speakers: ['a'] };
            },
          },
        },
      });
      d.createWorker({
        handlers: {
          transcribe: {
            merge: (ctx) => {
              expectTypeOf(ctx.parents.prepare.output.durationMs).toEqualTypeOf<number>();
              // An optional parent may have been skipped or left out by the plan.
              expectTypeOf(ctx.parents.diarize.output).toEqualTypeOf<{ speakers: string[] } | null>();
              expectTypeOf(ctx.parents.diarize.status).toEqualTypeOf<TaskStatus>();
              // @ts-expect-error a wrong parent name (not a dependency of merge)
              void ctx.parents.notify;
              return { text: ctx.parameters.language };
            },
            notify: (ctx) => {
              expectTypeOf(ctx.parents.merge.output).toEqualTypeOf<{ text: string }>();
              expectTypeOf(ctx).toMatchTypeOf<StageContext<typeof transcribe, 'notify'>>();
              return null;
            },
          },
        },
      });
    }));

  it('reports a wrong output type, an unknown stage and an unknown type', () =>
    typesOnly(() => {
      const d = engine();
      d.createWorker({
        handlers: {
          // @ts-expect-error a wrong output type (text must be a string)
          transcribe: { merge: async () => ({ text: 42 }) },
        },
      });
      d.createWorker({
        // @ts-expect-error an unknown stage
        handlers: { transcribe: { prepar: async () => ({ uri: 'x', durationMs: 1 }) } },
      });
      d.createWorker({
        // @ts-expect-error an unknown job type
        handlers: { transcode: { prepare: async () => null } },
      });
      // A stage without an output schema returns any JSON.
      d.createWorker({
        handlers: { transcribe: { notify: async (): Promise<JsonValue> => ({ sent: true }) } },
      });
    }));

  it('defineJob checks dependsOn against the stage names', () =>
    typesOnly(() => {
      defineJob({
        parameters: z.object({}),
        stages: {
          a: { queue: 'q' },
          // @ts-expect-error a dependency on an unknown stage
          b: { queue: 'q', dependsOn: ['c'] },
        },
      });
    }));

  it('the legacy pipeline keeps the untyped API', () =>
    typesOnly(() => {
      const d = createDalston({
        adapters: memoryAdapters(),
        pipeline: { build: () => [{ stage: 'a', queue: 'q' }] },
      });
      expectTypeOf(d.jobs.submit).returns.resolves.toMatchTypeOf<unknown>();
      void d.jobs.submit({ tenantId: 't', parameters: { anything: 1 } });
      d.createWorker({ queues: ['q'], handler: async (ctx) => ctx.job.parameters });
      expectTypeOf<Job['type']>().toEqualTypeOf<string>();
    }));
});
