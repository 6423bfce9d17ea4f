/**
 * The names of the engine's spans, attributes and metric instruments (documented in
 * docs/operations.md). Attributes follow the OpenTelemetry semantic-convention style
 * under the `dalston.` namespace; metric units are UCUM (`s` for durations).
 */

/** The instrumentation scope of every span and instrument the engine records. */
export const TELEMETRY_SCOPE = '@dalston/core';

export const SPAN_NAMES = Object.freeze({
  /** `jobs.submit`: validation, admission, the job write and the first enqueue (kind PRODUCER). */
  submit: 'dalston.job.submit',
  /** A worker leased a task's message and started the task (from the lease to the start write). */
  lease: 'dalston.task.lease',
  /** The handler of one attempt (kind CONSUMER); the handler runs in this span's context. */
  run: 'dalston.task.run',
  /** Recording an attempt's outcome and acknowledging its message. */
  complete: 'dalston.task.complete',
});

export const TELEMETRY_ATTRIBUTES = Object.freeze({
  tenantId: 'dalston.tenant.id',
  jobId: 'dalston.job.id',
  jobType: 'dalston.job.type',
  taskId: 'dalston.task.id',
  stage: 'dalston.task.stage',
  attempt: 'dalston.task.attempt',
  correlationId: 'dalston.correlation_id',
  queue: 'dalston.queue.name',
  queueState: 'dalston.queue.state',
  messageId: 'dalston.message.id',
  deliveries: 'dalston.message.deliveries',
  outcome: 'dalston.task.outcome',
  errorCode: 'dalston.error.code',
  rateLimitKind: 'dalston.rate_limit.kind',
  maintenancePass: 'dalston.maintenance.pass',
});

export const METRIC_NAMES = Object.freeze({
  /** Observable gauge: messages per queue and state (ready, delayed, leased, dead). */
  queueDepth: 'dalston.queue.depth',
  /** Histogram (s): one attempt's handler run, by queue, stage and outcome. */
  taskDuration: 'dalston.task.duration',
  /** Counter: attempts that lost their lease while running. */
  leaseLost: 'dalston.task.lease_lost',
  /** Counter: dead letters the maintenance processed, by queue. */
  deadLetters: 'dalston.queue.dead_letters',
  /** Counter: rate-limit checks and slot requests refused, by kind (`requests`, `slots`). */
  rateLimitDenials: 'dalston.rate_limit.denials',
  /** Histogram (s): one maintenance pass, by pass. */
  maintenanceDuration: 'dalston.maintenance.duration',
});

/**
 * How an attempt ended, as `dalston.task.outcome`: `completed`, `failed` (the handler threw
 * or returned unstorable output), or why it was stopped.
 */
export type AttemptOutcome =
  | 'completed'
  | 'failed'
  | 'timeout'
  | 'cancelled'
  | 'job_failed'
  | 'lease_lost'
  | 'shutdown';
