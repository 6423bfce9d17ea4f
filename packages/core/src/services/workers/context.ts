/**
 * What a task handler receives: a copy of its task, the job's parameters and input,
 * its parents' outputs, an AbortSignal, progress reporting, artifact helpers scoped to
 * the job (writes go to the task's deterministic key, reads only within the tenant) and
 * a logger carrying the correlation id.
 */
import type { Readable } from 'node:stream';
import { parseArtifactKey, taskArtifactKey } from '../../domain/artifact-key.js';
import type { JobSnapshot } from '../../domain/change.js';
import { notFound } from '../../domain/errors.js';
import type { JsonObject, JsonValue } from '../../domain/json.js';
import type { Task, TaskStatus } from '../../domain/task.js';
import { parentOutputs } from '../../domain/transitions.js';
import type {
  ArtifactBody,
  ArtifactStore,
  ByteRange,
  PutOptions,
  PutResult,
} from '../../ports/artifact-store.js';
import type { Logger } from '../../ports/logger.js';
import type { StoreFaults } from './store-retry.js';

export interface TaskContext {
  /** A copy of the task as started (status running). */
  task: Task;
  attempt: number;
  job: { id: string; tenantId: string; parameters: JsonObject; input: string | null; correlationId: string };
  /** Outputs of the task's dependencies by stage (null output for a skipped parent). */
  parents: Record<string, { status: TaskStatus; output: JsonValue | null }>;
  /** Fires on cancel, timeout, lost lease or worker shutdown; stop promptly. */
  signal: AbortSignal;
  /** Records a `task.progress` event. Best effort: never rejects. */
  progress(data: JsonObject): Promise<void>;
  /**
   * Artifact helpers. A STORE_UNAVAILABLE they reject with is the store's fault, not the
   * handler's: let it propagate (rethrown as is, or wrapped with it as `cause`) and the
   * engine re-runs the attempt without spending `maxAttempts` (see docs/reliability.md).
   */
  artifacts: {
    /** Writes `tenants/{t}/jobs/{j}/tasks/{stage}/{name}` (a re-run overwrites). */
    put(name: string, body: ArtifactBody, options?: Omit<PutOptions, 'signal'>): Promise<PutResult>;
    /** Reads an artifact of this tenant by URI (NOT_FOUND for other tenants' URIs). */
    get(uri: string, options?: { range?: ByteRange }): Promise<Readable>;
    /** The job's input URI, or null. */
    inputUri: string | null;
  };
  logger: Logger;
}

/** Returns the handler's output: any JSON value; `undefined` is stored as null. */
export type TaskHandler = (ctx: TaskContext) => Promise<JsonValue | undefined> | JsonValue | undefined;

export interface ContextDeps {
  artifacts: ArtifactStore;
  logger: Logger;
  progress(data: JsonObject): Promise<void>;
  /** Notes the store failures of the artifact helpers (to tell store faults from handler faults). */
  faults?: StoreFaults;
}

export function buildContext(
  snapshot: JobSnapshot,
  task: Task,
  signal: AbortSignal,
  deps: ContextDeps,
): TaskContext {
  const { job } = snapshot;
  const track = <T>(call: Promise<T>): Promise<T> => (deps.faults ? deps.faults.track(call) : call);
  const logger = deps.logger.child({
    correlationId: job.correlationId,
    jobId: job.id,
    taskId: task.id,
    stage: task.stage,
    attempt: task.attempt,
  });
  return {
    task: structuredClone(task),
    attempt: task.attempt,
    job: {
      id: job.id,
      tenantId: job.tenantId,
      parameters: structuredClone(job.parameters),
      input: job.input,
      correlationId: job.correlationId,
    },
    parents: parentOutputs(snapshot, task),
    signal,
    progress: deps.progress,
    artifacts: {
      inputUri: job.input,
      put: (name, body, options) =>
        track(
          deps.artifacts.put(taskArtifactKey(job.tenantId, job.id, task.stage, name), body, {
            ...options,
            signal,
          }),
        ),
      get: async (uri, options) => {
        const key = deps.artifacts.keyFromUri(uri);
        const parsed = parseArtifactKey(key);
        if (parsed.isErr() || parsed.value.tenantId !== job.tenantId) throw notFound('artifact', uri);
        return (await track(deps.artifacts.get(key, options))).body;
      },
    },
    logger,
  };
}
