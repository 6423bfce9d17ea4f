/**
 * The spans and measurements of one leased message: `dalston.task.lease` (from the lease to
 * the task's start), `dalston.task.run` (the handler; it runs in this span's context, so
 * the handler's own spans nest under it) and `dalston.task.complete` (recording the outcome
 * and the ack). Each is a child of the job's submit span, read from `Job.traceContext`, so
 * one job is one trace whatever process runs its tasks. Nothing is created until the task
 * starts: a message that turns out obsolete records nothing.
 */
import { type Attributes, type Context, context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { Job } from '../../domain/job.js';
import { readProperty, storableText } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Lease } from '../../ports/work-queue.js';
import type { Settled } from '../workers/attempt-outcome.js';
import type { StopReason } from '../workers/heartbeat.js';
import { safeInstanceOf } from '../workers/store-retry.js';
import { TaskFailure } from '../workers/task-failure.js';
import { type AttemptOutcome, SPAN_NAMES, TELEMETRY_ATTRIBUTES } from './names.js';
import { markFailed, monotonicMs, type Telemetry } from './telemetry.js';
import { contextFromTraceparent } from './trace-context.js';

export class AttemptTrace {
  /** Wall-clock time of the lease (epoch ms), the start of the lease span. */
  private readonly leasedAt = Date.now();
  private parent: Context | null = null;
  private attributes: Attributes = {};
  private runSpan: Span | null = null;
  private runStarted = 0;
  private outcome: AttemptOutcome = 'completed';
  private errorCode: string | null = null;

  constructor(
    private readonly telemetry: Telemetry,
    private readonly lease: Lease,
  ) {}

  /** The task started (its start written, or folded): ends the lease span. */
  started(job: Job, task: Task): void {
    const { message } = this.lease;
    this.parent = contextFromTraceparent(job.traceContext);
    this.attributes = {
      [TELEMETRY_ATTRIBUTES.tenantId]: job.tenantId,
      [TELEMETRY_ATTRIBUTES.jobId]: job.id,
      [TELEMETRY_ATTRIBUTES.jobType]: job.type,
      [TELEMETRY_ATTRIBUTES.taskId]: task.id,
      [TELEMETRY_ATTRIBUTES.stage]: task.stage,
      [TELEMETRY_ATTRIBUTES.attempt]: task.attempt,
      [TELEMETRY_ATTRIBUTES.queue]: message.queue,
      [TELEMETRY_ATTRIBUTES.correlationId]: job.correlationId,
    };
    const span = this.span(SPAN_NAMES.lease, SpanKind.INTERNAL, this.leasedAt);
    if (span.isRecording()) {
      span.setAttribute(TELEMETRY_ATTRIBUTES.messageId, message.id);
      span.setAttribute(TELEMETRY_ATTRIBUTES.deliveries, this.lease.deliveries);
    }
    span.end();
  }

  /** Runs `invoke` (which calls the handler) in the run span's context. */
  run<T>(invoke: () => Promise<T>): Promise<T> {
    this.runSpan = this.span(SPAN_NAMES.run, SpanKind.CONSUMER);
    this.runStarted = monotonicMs();
    return context.with(trace.setSpan(this.parent ?? context.active(), this.runSpan), invoke);
  }

  /** The handler settled or the attempt was stopped: ends the run span, records its duration. */
  ran(settled: Settled, reason: StopReason | null): void {
    this.outcome = outcomeOf(settled, reason);
    if (settled.kind === 'threw' && this.outcome === 'failed') this.errorCode = thrownCode(settled.error);
    else if (this.outcome !== 'completed' && this.outcome !== 'shutdown')
      this.errorCode = this.outcome.toUpperCase();
    const span = this.runSpan;
    if (span) {
      if (span.isRecording()) span.setAttribute(TELEMETRY_ATTRIBUTES.outcome, this.outcome);
      if (this.errorCode) markFailed(span, this.errorCode);
      span.end();
    }
    const { [TELEMETRY_ATTRIBUTES.queue]: queue, [TELEMETRY_ATTRIBUTES.stage]: stage } = this.attributes;
    const measured = {
      [TELEMETRY_ATTRIBUTES.queue]: queue,
      [TELEMETRY_ATTRIBUTES.stage]: stage,
      [TELEMETRY_ATTRIBUTES.outcome]: this.outcome,
    };
    this.telemetry.taskRan(monotonicMs() - this.runStarted, measured);
    if (this.outcome === 'lease_lost')
      this.telemetry.countLeaseLost({
        [TELEMETRY_ATTRIBUTES.queue]: queue,
        [TELEMETRY_ATTRIBUTES.stage]: stage,
      });
  }

  /** Records the outcome and acks (`finish`) in the complete span. */
  async complete<T>(finish: () => Promise<T>): Promise<T> {
    const span = this.span(SPAN_NAMES.complete, SpanKind.INTERNAL);
    if (span.isRecording()) span.setAttribute(TELEMETRY_ATTRIBUTES.outcome, this.outcome);
    if (this.errorCode) markFailed(span, this.errorCode);
    try {
      return await finish();
    } finally {
      span.end();
    }
  }

  private span(name: string, kind: SpanKind, startTime?: number): Span {
    const options = startTime === undefined ? { kind } : { kind, startTime };
    const span = this.telemetry.tracer.startSpan(name, options, this.parent ?? undefined);
    if (span.isRecording()) span.setAttributes(this.attributes);
    return span;
  }
}

/** How the attempt ended, in the order `occurrenceOf` decides what to record. */
export function outcomeOf(settled: Settled, reason: StopReason | null): AttemptOutcome {
  if (reason === 'lease_lost' || reason === 'job_failed' || reason === 'shutdown') return reason;
  if (settled.kind === 'returned') return 'completed';
  if (reason !== null) return reason;
  return 'failed';
}

/** The code a thrown value is recorded with: a TaskFailure's own code, else HANDLER_ERROR. */
function thrownCode(thrown: unknown): string {
  if (!safeInstanceOf(thrown, TaskFailure)) return 'HANDLER_ERROR';
  const code = readProperty(thrown, 'code');
  return typeof code === 'string' && code !== '' ? storableText(code, 100) : 'TASK_FAILED';
}
