/**
 * The engine's job types at run time: built once by `createDalston` from `jobs` (checked
 * here: names, parameters schema, every stage's settings, dependencies, cycles, one job
 * type per queue) or from the legacy `pipeline` (one type named `default`). `specsFor`
 * turns a type's validated parameters into the task specs `submit` stores.
 */
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { MAX_PIPELINE_TASKS, topologicalOrder } from '../../domain/dag.js';
import { type DalstonError, validationFailed } from '../../domain/errors.js';
import { DEFAULT_JOB_TYPE } from '../../domain/job.js';
import type { JsonObject } from '../../domain/json.js';
import { backoffPolicySchema, NAME_PATTERN, storableJsonValueSchema } from '../../domain/schemas.js';
import type { TaskSpec } from '../../domain/task.js';
import { fieldPath } from '../boundary/result.js';
import type { JobDefinition, JobPlan, StageDefinition } from './job-definition.js';
import type { Pipeline } from './pipeline.js';

/** One job type the engine hosts. `definition` is absent for the legacy pipeline. */
export interface JobType {
  name: string;
  parameters?: z.ZodType;
  /** The task specs of one job (validated by `validatePipeline` afterwards). Throws what `plan`/`build` throws. */
  build(parameters: JsonObject): unknown;
  definition?: JobDefinition;
}

const NAME_MESSAGE = 'must match ^[a-z][a-z0-9_-]{0,62}$';
const isSchema = (v: unknown): v is z.ZodType =>
  typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function';

const stageSchema = z.strictObject({
  queue: z.string().regex(NAME_PATTERN, NAME_MESSAGE),
  dependsOn: z.array(z.string()).readonly().optional(),
  required: z.boolean().optional(),
  maxAttempts: z.int().min(1).max(100).optional(),
  timeoutMs: z.int().min(1).max(86_400_000).optional(),
  backoff: backoffPolicySchema.optional(),
  priority: z.int().min(-1000).max(1000).optional(),
  output: z.custom<z.ZodType>(isSchema, 'expected a zod schema').optional(),
});

export class JobTypes {
  private constructor(private readonly types: ReadonlyMap<string, JobType>) {}

  /** From `createDalston`'s options; throws VALIDATION_FAILED naming the offending field. */
  static fromOptions(options: { jobs?: unknown; pipeline?: Pipeline<JsonObject> }): JobTypes {
    if (options.jobs !== undefined && options.pipeline !== undefined) {
      throw validationFailed('jobs', 'give `jobs` or the legacy `pipeline`, not both');
    }
    if (options.jobs === undefined) {
      if (typeof options.pipeline?.build !== 'function') {
        throw validationFailed(
          'jobs',
          'expected job types (`jobs: { <type>: defineJob(...) }`) or a `pipeline`',
        );
      }
      const { pipeline } = options;
      return new JobTypes(
        new Map([
          [
            DEFAULT_JOB_TYPE,
            {
              name: DEFAULT_JOB_TYPE,
              ...(pipeline.parameters ? { parameters: pipeline.parameters } : {}),
              build: (p) => pipeline.build(p),
            },
          ],
        ]),
      );
    }
    return new JobTypes(checkJobs(options.jobs));
  }

  names(): string[] {
    return [...this.types.keys()];
  }

  get(name: string): JobType | undefined {
    return this.types.get(name);
  }

  /** The type a submit names; `type` may be left out when the engine has exactly one. */
  resolve(type: string | undefined): Result<JobType, DalstonError> {
    if (type === undefined) {
      if (this.types.size === 1) return ok([...this.types.values()][0]!);
      return err(validationFailed('type', `required: this engine has job types ${this.list()}`));
    }
    const found = this.types.get(type);
    return found
      ? ok(found)
      : err(validationFailed('type', `unknown job type "${type}" (known: ${this.list()})`));
  }

  private list(): string {
    return this.names()
      .map((n) => `"${n}"`)
      .join(', ');
  }
}

function checkJobs(jobs: unknown): Map<string, JobType> {
  if (typeof jobs !== 'object' || jobs === null || Array.isArray(jobs)) {
    throw validationFailed('jobs', 'expected an object of job types, e.g. { transcribe: defineJob({...}) }');
  }
  const entries = Object.entries(jobs);
  if (entries.length === 0) throw validationFailed('jobs', 'give at least one job type');
  const types = new Map<string, JobType>();
  const queueOwner = new Map<string, string>();
  for (const [name, definition] of entries) {
    if (!NAME_PATTERN.test(name)) throw validationFailed(`jobs.${name}`, `job type names ${NAME_MESSAGE}`);
    const def = checkDefinition(`jobs.${name}`, definition);
    for (const [stage, s] of Object.entries(def.stages)) {
      const owner = queueOwner.get(s.queue);
      if (owner !== undefined && owner !== name) {
        throw validationFailed(
          `jobs.${name}.stages.${stage}.queue`,
          `queue "${s.queue}" already belongs to job type "${owner}" (a queue serves one job type, so a worker never leases another type's tasks)`,
        );
      }
      queueOwner.set(s.queue, name);
    }
    types.set(name, {
      name,
      parameters: def.parameters,
      build: (p) => planSpecs(name, def, p),
      definition: def,
    });
  }
  return types;
}

function checkDefinition(field: string, definition: unknown): JobDefinition {
  if (typeof definition !== 'object' || definition === null) {
    throw validationFailed(field, 'expected defineJob({ parameters, stages })');
  }
  const def = definition as Partial<JobDefinition>;
  if (!isSchema(def.parameters)) throw validationFailed(`${field}.parameters`, 'expected a zod schema');
  if (def.plan !== undefined && typeof def.plan !== 'function') {
    throw validationFailed(`${field}.plan`, 'expected a function of the parameters');
  }
  const stages = def.stages;
  if (typeof stages !== 'object' || stages === null || Object.keys(stages).length === 0) {
    throw validationFailed(`${field}.stages`, 'give at least one stage');
  }
  const names = Object.keys(stages);
  if (names.length > MAX_PIPELINE_TASKS) {
    throw validationFailed(`${field}.stages`, `at most ${MAX_PIPELINE_TASKS} stages (got ${names.length})`);
  }
  for (const [stage, raw] of Object.entries(stages)) {
    const at = `${field}.stages.${stage}`;
    if (!NAME_PATTERN.test(stage)) throw validationFailed(at, `stage names ${NAME_MESSAGE}`);
    const parsed = stageSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw validationFailed(fieldPath(at, issue.path), issue.message);
    }
    checkDependencies(at, stage, parsed.data.dependsOn ?? [], names);
  }
  const order = topologicalOrder(
    Object.entries(stages as Record<string, StageDefinition>).map(([stage, s]) => ({
      stage,
      dependsOn: s.dependsOn ?? [],
    })),
  );
  if (order.isErr()) {
    throw validationFailed(
      `${field}.stages.${order.error[0]}.dependsOn`,
      `cycle: ${order.error.join(' -> ')}`,
    );
  }
  return def as JobDefinition;
}

function checkDependencies(at: string, stage: string, deps: readonly string[], names: string[]): void {
  const field = `${at}.dependsOn`;
  if (new Set(deps).size !== deps.length) throw validationFailed(field, 'duplicate dependency');
  for (const d of deps) {
    if (d === stage) throw validationFailed(field, `stage "${stage}" depends on itself`);
    if (!names.includes(d)) throw validationFailed(field, `unknown stage "${d}"`);
  }
}

const planSchema = z.strictObject({
  omit: z.array(z.string()).readonly().optional(),
  tasks: z
    .record(
      z.string(),
      z.strictObject({
        input: storableJsonValueSchema.optional(),
        priority: z.int().min(-1000).max(1000).optional(),
      }),
    )
    .optional(),
});

/** The task specs of one job of a defined type: the catalogue, less what the plan omits. */
function planSpecs(type: string, def: JobDefinition, parameters: JsonObject): TaskSpec[] {
  const plan = readPlan(type, def, parameters);
  const stages = def.stages as Record<string, StageDefinition>;
  const omitted = new Set(plan.omit ?? []);
  for (const [i, stage] of (plan.omit ?? []).entries()) {
    if (!(stage in stages))
      throw validationFailed(`jobs.${type}.plan.omit[${i}]`, `unknown stage "${stage}"`);
    if (stages[stage]!.required !== false) {
      throw validationFailed(
        `jobs.${type}.plan.omit[${i}]`,
        `stage "${stage}" is required: only optional stages may be left out`,
      );
    }
  }
  for (const stage of Object.keys(plan.tasks ?? {})) {
    if (!(stage in stages)) throw validationFailed(`jobs.${type}.plan.tasks.${stage}`, 'unknown stage');
  }
  return Object.entries(stages)
    .filter(([stage]) => !omitted.has(stage))
    .map(([stage, s]) => {
      const task = plan.tasks?.[stage];
      const priority = task?.priority ?? s.priority;
      return {
        stage,
        queue: s.queue,
        dependsOn: (s.dependsOn ?? []).filter((d) => !omitted.has(d)),
        ...(s.required !== undefined ? { required: s.required } : {}),
        ...(s.maxAttempts !== undefined ? { maxAttempts: s.maxAttempts } : {}),
        ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
        ...(s.backoff !== undefined ? { backoff: s.backoff } : {}),
        ...(priority !== undefined ? { priority } : {}),
        ...(task?.input !== undefined ? { input: task.input } : {}),
      };
    });
}

function readPlan(type: string, def: JobDefinition, parameters: JsonObject): JobPlan {
  if (!def.plan) return {};
  const parsed = planSchema.safeParse(def.plan(parameters) ?? {});
  if (parsed.success) return parsed.data as JobPlan;
  const issue = parsed.error.issues[0]!;
  throw validationFailed(fieldPath(`jobs.${type}.plan`, issue.path), issue.message);
}
