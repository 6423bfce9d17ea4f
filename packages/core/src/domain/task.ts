import type { ErrorInfo } from './job.js';
import type { JsonValue } from './json.js';

/** `pending → ready → running → completed | failed | skipped | cancelled`; retry is `running → ready`. */
export const TASK_STATUSES = [
  'pending',
  'ready',
  'running',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
]);
export const isTerminalTaskStatus = (s: TaskStatus): boolean => TERMINAL_TASK_STATUSES.has(s);

/** How long to wait before a retry. Delays in milliseconds. */
export type BackoffPolicy =
  | { kind: 'fixed'; delayMs: number }
  | {
      kind: 'exponential';
      /** Delay before the first retry. */
      baseMs: number;
      /** Upper bound for any delay. */
      maxMs: number;
      /** 0 = none, 1 = "full jitter" (uniform in [0, delay]). */
      jitter: number;
    };

/** What a pipeline returns for one stage; core fills in the rest. */
export interface TaskSpec {
  stage: string;
  queue: string;
  dependsOn?: string[];
  /** Default true. An optional task that fails its last attempt becomes `skipped`. */
  required?: boolean;
  /** Default 3. Failed attempts allowed before the task fails for good. */
  maxAttempts?: number;
  /** Default 300 000 (5 minutes). An attempt running longer is aborted and counts as failed. */
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Small JSON handed to the handler. Large data goes by artifact URI. */
  input?: JsonValue;
}

/**
 * One stage of a job. Times are epoch milliseconds.
 *
 * - `attempt` is the fencing epoch: it starts at 1 and increases every time the task is
 *   put back to `ready` (a retry after a failure, or a re-queue after a lost lease). Starting,
 *   completing and failing compare `(status, attempt, leaseToken)`.
 * - `failures` counts failed attempts; at `maxAttempts` the task fails for good.
 * - `lostLeases` counts attempts whose lease expired without an outcome (worker crash);
 *   it has its own ceiling so a poison task cannot loop forever without spending `failures`.
 */
export interface Task {
  id: string;
  jobId: string;
  tenantId: string;
  stage: string;
  queue: string;
  dependsOn: string[];
  required: boolean;
  status: TaskStatus;
  attempt: number;
  failures: number;
  lostLeases: number;
  maxAttempts: number;
  timeoutMs: number;
  backoff: BackoffPolicy;
  priority: number;
  /** Not to be started before this time (retry backoff). */
  notBefore: number | null;
  input: JsonValue | null;
  output: JsonValue | null;
  error: ErrorInfo | null;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /** Set when a cancel reached the task while it was running. */
  cancelRequested: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  version: number;
}
