/**
 * Pipeline validation: a pipeline returns task specs; before anything is stored core
 * checks their shape and ranges, that stages are unique, that every dependency is known
 * and that the graph has no cycle, then fills in defaults and orders them topologically.
 */
import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';
import { type DalstonError, validationFailed } from './errors.js';
import type { JsonValue } from './json.js';
import { taskSpecSchema } from './schemas.js';
import type { BackoffPolicy, TaskSpec } from './task.js';

export const MAX_PIPELINE_TASKS = 100;

/** A task spec with every default filled in. */
export interface NormalisedTaskSpec {
  stage: string;
  queue: string;
  dependsOn: string[];
  required: boolean;
  maxAttempts: number;
  timeoutMs: number;
  backoff: BackoffPolicy;
  priority: number;
  input: JsonValue | null;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  kind: 'exponential',
  baseMs: 1000,
  maxMs: 60_000,
  jitter: 1,
});

/** Fills in defaults (required true, maxAttempts 3, timeoutMs 300 000, …). Idempotent. */
export function normaliseTaskSpec(spec: TaskSpec): NormalisedTaskSpec {
  return {
    stage: spec.stage,
    queue: spec.queue,
    dependsOn: [...(spec.dependsOn ?? [])],
    required: spec.required ?? true,
    maxAttempts: spec.maxAttempts ?? 3,
    timeoutMs: spec.timeoutMs ?? 300_000,
    backoff: { ...(spec.backoff ?? DEFAULT_BACKOFF) },
    priority: spec.priority ?? 0,
    input: spec.input ?? null,
  };
}

interface Node {
  stage: string;
  dependsOn?: readonly string[];
}

/**
 * Orders items so every item comes after its dependencies; among items that are free at
 * the same time, the original order is kept. Dependencies on unknown stages are ignored.
 * Returns the stages of one cycle (first stage repeated at the end) when there is one.
 */
export function topologicalOrder<T extends Node>(items: readonly T[]): Result<T[], string[]> {
  const index = new Map(items.map((t, i) => [t.stage, i]));
  const remaining = items.map((t) => new Set((t.dependsOn ?? []).filter((d) => index.has(d))));
  const done = new Set<number>();
  const order: T[] = [];
  while (order.length < items.length) {
    const next = items.findIndex((_, i) => !done.has(i) && remaining[i]!.size === 0);
    if (next === -1) return err(findCycle(items, index, done));
    done.add(next);
    order.push(items[next]!);
    for (const deps of remaining) deps.delete(items[next]!.stage);
  }
  return ok(order);
}

function findCycle<T extends Node>(
  items: readonly T[],
  index: Map<string, number>,
  done: Set<number>,
): string[] {
  // Every item not done has an unfinished dependency: walk them until a stage repeats.
  let i = items.findIndex((_, k) => !done.has(k));
  const path: number[] = [];
  while (!path.includes(i)) {
    path.push(i);
    const dep = (items[i]!.dependsOn ?? []).find((d) => index.has(d) && !done.has(index.get(d)!));
    i = index.get(dep!)!;
  }
  return [...path.slice(path.indexOf(i)), i].map((k) => items[k]!.stage);
}

const fieldOf = (index: number, path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    `pipeline[${index}]`,
  );

function parseSpec(raw: unknown, i: number): Result<TaskSpec, DalstonError> {
  const parsed = taskSpecSchema.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  const issue = (parsed.error as z.ZodError).issues[0]!;
  return err(validationFailed(fieldOf(i, issue.path), issue.message));
}

function checkEdges(specs: readonly TaskSpec[]): DalstonError | null {
  const stages = new Map<string, number>();
  for (const [i, s] of specs.entries()) {
    if (stages.has(s.stage)) {
      return validationFailed(`pipeline[${i}].stage`, `duplicate stage "${s.stage}"`);
    }
    stages.set(s.stage, i);
  }
  for (const [i, s] of specs.entries()) {
    const field = `pipeline[${i}].dependsOn`;
    const deps = s.dependsOn ?? [];
    if (new Set(deps).size !== deps.length) return validationFailed(field, 'duplicate dependency');
    for (const d of deps) {
      if (d === s.stage) return validationFailed(field, `stage "${s.stage}" depends on itself`);
      if (!stages.has(d)) return validationFailed(field, `unknown stage "${d}"`);
    }
  }
  return null;
}

/**
 * Validates a pipeline's task specs. Returns them normalised (defaults filled) in
 * topological order, or VALIDATION_FAILED whose `field` names the offending spec
 * (`pipeline[2].dependsOn`, `pipeline[0].backoff.maxMs`, …).
 */
export function validatePipeline(specs: unknown): Result<NormalisedTaskSpec[], DalstonError> {
  if (!Array.isArray(specs)) return err(validationFailed('pipeline', 'must be an array of task specs'));
  if (specs.length === 0) return err(validationFailed('pipeline', 'must contain at least one task'));
  if (specs.length > MAX_PIPELINE_TASKS) {
    return err(validationFailed('pipeline', `at most ${MAX_PIPELINE_TASKS} tasks (got ${specs.length})`));
  }
  const parsed: TaskSpec[] = [];
  for (const [i, raw] of specs.entries()) {
    const r = parseSpec(raw, i);
    if (r.isErr()) return err(r.error);
    parsed.push(r.value);
  }
  const edgeError = checkEdges(parsed);
  if (edgeError) return err(edgeError);
  const normalised = parsed.map(normaliseTaskSpec);
  return topologicalOrder(normalised).mapErr((cycle) => {
    const first = parsed.findIndex((s) => s.stage === cycle[0]);
    return validationFailed(`pipeline[${first}].dependsOn`, `cycle: ${cycle.join(' -> ')}`, { cycle });
  });
}
