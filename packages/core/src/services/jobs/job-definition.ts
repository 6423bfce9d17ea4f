/**
 * Job types: `defineJob({ parameters, stages, plan? })` describes one kind of job: a zod
 * schema for its parameters and a static catalogue of stages (queue, dependencies, retry
 * and timeout settings, and optionally a zod schema of the stage's output). The catalogue
 * gives the compiler every type a handler sees (`ctx.parameters`, each parent's output);
 * `plan`, a function of the validated parameters, may leave optional stages out of a job
 * and give tasks their input and priority, so the DAG can still depend on the request.
 *
 * The types here are what hosts write against; the checks of a definition live in
 * `job-types.ts` (run once, by `createDalston`).
 */
import type { z } from 'zod';
import type { JsonValue } from '../../domain/json.js';
import type { BackoffPolicy } from '../../domain/task.js';

/** One stage of a job type. `Name` is the union of the type's stage names. */
export interface StageDefinition<Name extends string = string> {
  /** The queue its tasks go to. A queue belongs to one job type. */
  queue: string;
  /** Stages whose outputs this stage reads (its parents). */
  dependsOn?: readonly Name[];
  /**
   * Default true. An optional stage that fails its last attempt is skipped (its children
   * see a null output), and only optional stages may be left out by `plan`.
   */
  required?: boolean;
  /** Default 3. Failed attempts allowed before the task fails for good. */
  maxAttempts?: number;
  /** Default 300 000 (5 minutes). An attempt running longer is aborted and counts as failed. */
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Higher runs first. Default 0 (a plan may override it per job). */
  priority?: number;
  /**
   * The stage's output schema. The handler's return value is parsed with it at completion
   * (the parsed value is stored); a value it refuses fails the attempt with INVALID_OUTPUT
   * naming the field, without a retry.
   */
  output?: z.ZodType;
}

/** What `plan` returns for one job: stages left out, and per-task input and priority. */
export interface JobPlan<Stage extends string = string> {
  /** Optional stages (`required: false`) this job does not run; their children see them as skipped. */
  omit?: readonly Stage[];
  /** Small JSON input (`ctx.task.input`) and priority per stage. */
  tasks?: { readonly [K in Stage]?: { input?: JsonValue; priority?: number } };
}

/** Parameters are a JSON object: the schema's output must be one. */
export type ParametersSchema = z.ZodType<{ [key: string]: unknown }>;

/** A job type, as `defineJob` returns it. */
export interface JobDefinition<
  P extends ParametersSchema = ParametersSchema,
  S extends { [K in keyof S]: StageDefinition } = Record<string, StageDefinition>,
> {
  readonly parameters: P;
  readonly stages: S;
  /** Which optional stages this job leaves out, and per-task input and priority. Default: every stage. */
  plan?(parameters: z.output<P>): JobPlan<keyof S & string>;
}

/** Any job type, whatever its parameters and stages (what `JobMap` holds). */
// biome-ignore lint/suspicious/noExplicitAny: stage names are contravariant in `plan`: only `any` admits every definition
export type AnyJobDefinition = JobDefinition<any, any>;

/** `createDalston({ jobs })`: job types by name. */
export type JobMap = { readonly [type: string]: AnyJobDefinition };

/**
 * Declares a job type. Returns the definition as given (it is checked by `createDalston`,
 * which throws VALIDATION_FAILED naming `jobs.<type>.stages.<stage>.<field>`); its value is
 * in the types it carries: stage names, dependencies and output schemas.
 */
export function defineJob<
  P extends ParametersSchema,
  const S extends { [K in keyof S]: StageDefinition<keyof S & string> },
>(definition: {
  parameters: P;
  stages: S;
  plan?: (parameters: z.output<P>) => JobPlan<keyof S & string>;
}): JobDefinition<P, S> {
  return definition;
}
