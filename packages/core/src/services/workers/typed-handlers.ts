/**
 * Typed handlers: `createWorker({ handlers: { <type>: { <stage>: async (ctx) => output } } })`.
 * The compiler infers `ctx.parameters` (the type's parameters schema output) and
 * `ctx.parents.<stage>.output` (each declared parent's output schema output; null when the
 * parent is optional); a handler returns what its stage's output schema accepts.
 *
 * At run time (`typedWorkerRouting`): names are checked against the engine's job types,
 * the worker's queues are those of its stages, a task is routed by its job's type and its
 * stage, and a stage's output is parsed with its schema at completion (INVALID_OUTPUT
 * naming the field, not retried: the same handler would return the same bad value).
 */
import type { z } from 'zod';
import { validationFailed } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { JsonValue } from '../../domain/json.js';
import type { Task, TaskStatus } from '../../domain/task.js';
import { fieldPath } from '../boundary/result.js';
import type { AnyJobDefinition, JobMap, StageDefinition } from '../jobs/job-definition.js';
import type { JobTypes } from '../jobs/job-types.js';
import type { TaskContext, TaskHandler } from './context.js';
import { TaskFailure } from './task-failure.js';

type Stages<D extends AnyJobDefinition> = D['stages'];
type OutputOf<S> = S extends { output: infer O extends z.ZodType } ? z.output<O> : JsonValue;
type ReturnOf<S> = S extends { output: infer O extends z.ZodType } ? z.input<O> : JsonValue | undefined;
/** A parent's output as its child sees it: null when the parent is optional (skipped or left out). */
type ParentOutput<S> = S extends { required: false } ? OutputOf<S> | null : OutputOf<S>;
type DependsOn<S> = S extends { dependsOn: readonly (infer D)[] } ? D : never;

/** `ctx.parents` of stage `K`: exactly its declared dependencies. */
export type StageParents<D extends AnyJobDefinition, K extends keyof Stages<D>> = {
  readonly [P in DependsOn<Stages<D>[K]> & keyof Stages<D>]: {
    status: TaskStatus;
    output: ParentOutput<Stages<D>[P]>;
  };
};

/** What a typed handler receives: the untyped context, with typed `parameters` and `parents`. */
export interface StageContext<D extends AnyJobDefinition, K extends keyof Stages<D>>
  extends Omit<TaskContext, 'parents'> {
  /** The job's parameters, as the type's parameters schema produced them. */
  parameters: z.output<D['parameters']>;
  parents: StageParents<D, K>;
}

export type StageHandler<D extends AnyJobDefinition, K extends keyof Stages<D>> = (
  ctx: StageContext<D, K>,
) => Promise<ReturnOf<Stages<D>[K]>> | ReturnOf<Stages<D>[K]>;

/** Handlers of one job type, by stage. */
export type JobHandlers<D extends AnyJobDefinition> = { [K in keyof Stages<D>]?: StageHandler<D, K> };

/** Handlers by job type and stage. */
export type TypedHandlers<J extends JobMap> = { [T in keyof J]?: JobHandlers<J[T]> };

/** The typed form of `createWorker`'s options. */
export interface TypedWorkerOptions<J extends JobMap = JobMap> {
  /** Handlers by job type, then stage. The worker leases the queues of these stages only. */
  handlers: TypedHandlers<J>;
  /** Handlers run at once. Default 1. */
  concurrency?: number;
  /** Default: the engine's leaseMs. */
  leaseMs?: number;
  /** Longest blocking wait of one lease call. Default 1000. */
  waitMs?: number;
  /** Not in the typed form: the queues are those of the handled stages. */
  queues?: never;
  /** Not in the typed form (thread isolation takes the untyped `{ queues, isolation }`). */
  isolation?: never;
}

/** What a worker of the typed form leases and runs. */
export interface TypedRouting {
  queues: string[];
  handlerFor(task: Task, job: Job): TaskHandler | undefined;
}

/**
 * Checks `handlers` against the engine's job types and routes tasks to them. Throws
 * VALIDATION_FAILED naming `handlers.<type>[.<stage>]` for an unknown type or stage, a
 * handler that is not a function, or a queue the worker would lease without a handler for
 * every stage of it (a worker never leases a task it cannot run).
 */
export function typedWorkerRouting(jobTypes: JobTypes, handlers: unknown): TypedRouting {
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) {
    throw validationFailed(
      'handlers',
      'give handlers by job type and stage, e.g. { transcribe: { prepare } }',
    );
  }
  const routes = new Map<string, Map<string, TaskHandler>>();
  const queues = new Set<string>();
  for (const [type, byStage] of Object.entries(handlers)) {
    const def = jobTypes.get(type)?.definition;
    if (!def)
      throw validationFailed(`handlers.${type}`, `unknown job type (known: ${jobTypes.names().join(', ')})`);
    if (typeof byStage !== 'object' || byStage === null) {
      throw validationFailed(`handlers.${type}`, 'expected handlers by stage');
    }
    const stages = def.stages as Record<string, StageDefinition>;
    const route = new Map<string, TaskHandler>();
    for (const [stage, handler] of Object.entries(byStage)) {
      if (!(stage in stages)) throw validationFailed(`handlers.${type}.${stage}`, 'unknown stage');
      if (typeof handler !== 'function')
        throw validationFailed(`handlers.${type}.${stage}`, 'expected a function');
      route.set(stage, typedStage(stages[stage]!, handler as (ctx: unknown) => unknown));
      queues.add(stages[stage]!.queue);
    }
    for (const [stage, s] of Object.entries(stages)) {
      if (queues.has(s.queue) && !route.has(stage)) {
        throw validationFailed(
          `handlers.${type}.${stage}`,
          `missing: this worker leases queue "${s.queue}", which stage "${stage}" uses too`,
        );
      }
    }
    routes.set(type, route);
  }
  return { queues: [...queues], handlerFor: (task, job) => routes.get(job.type)?.get(task.stage) };
}

/** The engine-facing handler of one typed stage: typed context in, parsed output out. */
function typedStage(stage: StageDefinition, handler: (ctx: unknown) => unknown): TaskHandler {
  const declared = stage.dependsOn ?? [];
  return async (ctx: TaskContext) => {
    // A parent left out by the plan reads as skipped, so every declared parent is a key.
    const parents = Object.fromEntries(
      declared.map((d) => [d, ctx.parents[d] ?? { status: 'skipped' as const, output: null }]),
    );
    const output = await handler({ ...ctx, parameters: ctx.job.parameters, parents });
    return stage.output ? parseOutput(stage.output, output) : (output as JsonValue | undefined);
  };
}

function parseOutput(schema: z.ZodType, output: unknown): JsonValue {
  let parsed: ReturnType<z.ZodType['safeParse']>;
  try {
    parsed = schema.safeParse(output);
  } catch (e) {
    throw invalidOutput('output', `could not be read (${e instanceof Error ? e.message : 'a getter threw'})`);
  }
  if (parsed.success) return parsed.data as JsonValue;
  const issue = parsed.error.issues[0]!;
  throw invalidOutput(fieldPath('output', issue.path), issue.message);
}

const invalidOutput = (field: string, message: string) =>
  new TaskFailure(`${field}: ${message}`, { retryable: false, code: 'INVALID_OUTPUT' });
