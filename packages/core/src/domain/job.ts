import type { JsonObject } from './json.js';

/** `pending → running → completed | failed`, and `cancelling → cancelled`. */
export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelling', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);
export const isTerminalJobStatus = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.has(s);

/** The type of jobs submitted to an engine built with the legacy `pipeline` option, and of jobs stored before job types. */
export const DEFAULT_JOB_TYPE = 'default';

/** A failure recorded on a job or a task. */
export interface ErrorInfo {
  code: string;
  message: string;
  /** The stage whose failure caused a job failure, when there is one. */
  stage?: string;
}

/**
 * One request, expanded into a DAG of tasks. All times are epoch milliseconds (UTC).
 * `version` increases by one on every write; stores use it for compare-and-set.
 */
export interface Job {
  id: string;
  tenantId: string;
  /** The job type's name (`createDalston({ jobs })` key; `default` for the legacy `pipeline`). */
  type: string;
  status: JobStatus;
  /** Validated parameters (the output of the job type's parameters schema). */
  parameters: JsonObject;
  /** Artifact URI of the job's input, or null when the job has none. */
  input: string | null;
  idempotencyKey: string | null;
  /** 0 = delete at terminal, -1 = keep forever, else days after the terminal transition. */
  retentionDays: number;
  purgeAfter: number | null;
  purgedAt: number | null;
  error: ErrorInfo | null;
  correlationId: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  createdByKeyId: string | null;
  /**
   * W3C `traceparent` of the submit span (OpenTelemetry), which every span of the job
   * joins; null when no tracing SDK was recording at submit. Set once, at creation.
   */
  traceContext: string | null;
  version: number;
}
