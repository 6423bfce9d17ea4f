/**
 * What a handler running in an isolation thread receives (`createWorker({ isolation })`).
 * The data parts are copies of the main thread's `TaskContext`; the calls are proxied to
 * the main thread by message. Differences from `TaskContext`: artifact bodies cross the
 * thread boundary as whole byte buffers (no streaming in either direction), and
 * `ctx.signal` aborts only when the worker's `isolation.graceMs` is above 0 (with the
 * default 0 the thread is terminated at the deadline without warning).
 */
import type { Readable } from 'node:stream';
import type { JsonObject, JsonValue } from '../../../domain/json.js';
import type { ByteRange, PutResult } from '../../../ports/artifact-store.js';
import type { Logger } from '../../../ports/logger.js';
import type { TaskContext } from '../context.js';

export interface ThreadTaskContext {
  /** A copy of the task as started (status running). */
  task: TaskContext['task'];
  attempt: number;
  job: TaskContext['job'];
  /** Outputs of the task's dependencies by stage (null output for a skipped parent). */
  parents: TaskContext['parents'];
  /** Aborts `graceMs` before the thread is terminated (never with `graceMs: 0`). */
  signal: AbortSignal;
  /** Records a `task.progress` event in the main thread. Best effort: never rejects. */
  progress(data: JsonObject): Promise<void>;
  artifacts: {
    /**
     * Writes `tenants/{t}/jobs/{j}/tasks/{stage}/{name}`. The body is read whole in the
     * thread (a string, bytes, or an async iterable of bytes) and sent as one buffer.
     */
    put(
      name: string,
      body: string | Uint8Array | ArrayBuffer | AsyncIterable<Uint8Array | string>,
      options?: { contentType?: string; metadata?: Record<string, string> },
    ): Promise<PutResult>;
    /** Reads an artifact of this tenant by URI, whole, into the thread (NOT_FOUND for other tenants'). */
    get(uri: string, options?: { range?: ByteRange }): Promise<Readable>;
    /** The job's input URI, or null. */
    inputUri: string | null;
  };
  /** Lines go to the worker's logger with the task's correlation fields. */
  logger: Logger;
}

/**
 * A handler module for thread isolation exports `handlers` (by stage) and/or `handler`
 * (or a default export) of this type. Its output must be JSON.
 */
export type ThreadTaskHandler = (
  ctx: ThreadTaskContext,
) => Promise<JsonValue | undefined> | JsonValue | undefined;
