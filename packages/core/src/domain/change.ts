/**
 * What core decides for one change of one job, as data the JobStore persists with
 * compare-and-set. Produced by `decide()` in `transitions.ts`.
 */
import type { NewEvent } from './events.js';
import type { ErrorInfo, Job, JobStatus } from './job.js';
import type { JsonObject, JsonValue } from './json.js';
import type { BackoffPolicy, Task } from './task.js';

/** One task write: `next` replaces the task when `expected` still holds. */
export interface TaskWrite {
  expected: { status: Task['status']; attempt: number; leaseToken: string | null };
  next: Task;
}

/** One job write: `next` replaces the job when `expected` still holds. */
export interface JobWrite {
  expected: { status: JobStatus; version: number };
  next: Job;
}

/** Writes and events decided for one change. No writes and no events = nothing to do. */
export interface JobChange {
  job: JobWrite | null;
  tasks: TaskWrite[];
  events: NewEvent[];
}

export const isEmptyChange = (c: JobChange | null): boolean =>
  c === null || (c.job === null && c.tasks.length === 0 && c.events.length === 0);

/** A job with every one of its tasks, as read inside the job's critical section. */
export interface JobSnapshot {
  job: Job;
  /** Every task of the job, in creation order. */
  tasks: Task[];
}

/** A fenced reference to one attempt of a running task. */
export interface AttemptRef {
  taskId: string;
  attempt: number;
  leaseToken: string;
}

/**
 * One change to a job, as fed to `decide()`. Each names what happened; `decide`
 * returns what to write. Changes that no longer apply (stale attempt, wrong token,
 * terminal task or job) decide nothing: terminal states are absorbing.
 */
export type Occurrence =
  /** A worker took a queue message for the task: `ready → running` (or take-over of a running task whose lease expired, as a new attempt). */
  | { kind: 'start'; taskId: string; leaseToken: string; leaseExpiresAt: number }
  | ({ kind: 'progress'; progress: JsonObject } & AttemptRef)
  | ({ kind: 'complete'; output: JsonValue } & AttemptRef)
  /** `retryable: false` fails the task at once whatever attempts remain. */
  | ({ kind: 'fail'; error: ErrorInfo; retryable: boolean } & AttemptRef)
  /** The attempt exceeded its timeoutMs: a failed attempt with code TIMEOUT. */
  | ({ kind: 'timeout' } & AttemptRef)
  /** A running attempt whose lease expired (found by the reconciler): back to ready as a new attempt without spending `failures`, or failed past the lost-lease ceiling. */
  | { kind: 'leaseLost'; taskId: string; attempt: number }
  /** The queue dead-lettered the task's message: the task fails for good with this reason. */
  | { kind: 'deadLettered'; taskId: string; reason: string }
  /** The handler of a task whose cancel was requested has stopped. */
  | ({ kind: 'cancelled' } & AttemptRef)
  /**
   * The attempt was cut short by one of the engine's own stores (STORE_UNAVAILABLE during
   * the attempt): not the handler's fault. Back to ready as a new attempt after an
   * infrastructure backoff, without spending `failures`; failed for good past
   * `maxStoreInterruptions`.
   */
  | ({ kind: 'infraFailure'; error: ErrorInfo } & AttemptRef)
  /** Cancel the job: pending/ready tasks cancelled now, running ones flagged. */
  | { kind: 'cancel'; reason: string }
  /** Retry a failed job: its failed (and cancelled-by-failure) tasks become pending/ready again. */
  | { kind: 'retry' }
  /**
   * An operator redrives a dead-lettered attempt whose task is still ready or running at
   * that attempt: the task becomes ready as a new attempt with fresh counters.
   */
  | { kind: 'redrive'; taskId: string; attempt: number };

export interface DecideContext {
  /** Epoch ms of the change. */
  now: number;
  /** Random number in [0, 1) for backoff jitter (injected so tests are reproducible). */
  random: () => number;
  /** Lost leases tolerated per task before it fails as poison. */
  maxLostLeases: number;
  /**
   * Interrupted attempts (`lostLeases`, which store interruptions also count) after which
   * one more store interruption fails the task as poison. Default `DEFAULT_MAX_STORE_INTERRUPTIONS`.
   */
  maxStoreInterruptions?: number;
  /** Delay before re-running an attempt a store cut short. Default `DEFAULT_STORE_RETRY_BACKOFF`. */
  storeRetryBackoff?: BackoffPolicy;
}

/** Default ceiling of store interruptions per task (see `DecideContext.maxStoreInterruptions`). */
export const DEFAULT_MAX_STORE_INTERRUPTIONS = 10;
/** Default backoff before re-running an attempt a store cut short: 250 ms doubling to 5 s, half jitter. */
export const DEFAULT_STORE_RETRY_BACKOFF: BackoffPolicy = Object.freeze({
  kind: 'exponential',
  baseMs: 250,
  maxMs: 5000,
  jitter: 0.5,
});

export interface Decision {
  /** What to write; null when the occurrence no longer applies. */
  change: JobChange | null;
  /** Tasks that became `ready` by this change (to be enqueued after commit), with their new state. */
  enqueue: Task[];
  /** Running tasks that must be told to stop (cancellation, job failure). */
  abort: AttemptRef[];
  /** Why nothing was decided, when `change` is null (for logs and error messages). */
  reason?: 'not_found' | 'stale' | 'terminal' | 'not_ready' | 'no_change';
}
