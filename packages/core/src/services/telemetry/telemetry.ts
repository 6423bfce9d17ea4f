/**
 * Telemetry: the engine's OpenTelemetry tracer and meter and the instruments it records
 * (names in names.ts). The host chooses the SDK: by default the global API providers are
 * used, so with no SDK registered every span and instrument is the API's no-op (a few
 * allocations per task, no I/O). Register the global meter provider before `createDalston`
 * (the API has no proxy for meters), or pass the providers in `createDalston({ telemetry })`.
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type ObservableResult,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { ResultAsync } from 'neverthrow';
import type { DalstonError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { QueueStats } from '../../ports/work-queue.js';
import { METRIC_NAMES, SPAN_NAMES, TELEMETRY_ATTRIBUTES, TELEMETRY_SCOPE } from './names.js';
import { traceparentOf } from './trace-context.js';

export interface TelemetryOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Where measurements go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
}

const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const QUEUE_STATES = ['ready', 'delayed', 'leased', 'dead'] as const;

/** Monotonic milliseconds, for durations. */
export const monotonicMs = (): number => performance.now();

export class Telemetry {
  readonly tracer: Tracer;
  private readonly meter: Meter;
  private readonly taskDuration: Histogram;
  private readonly leaseLost: Counter;
  private readonly deadLetters: Counter;
  private readonly rateLimitDenials: Counter;
  private readonly maintenanceDuration: Histogram;
  private readonly queueDepth: ObservableGauge;

  constructor(options: TelemetryOptions = {}) {
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TELEMETRY_SCOPE);
    this.meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(TELEMETRY_SCOPE);
    const m = this.meter;
    const seconds = (description: string) => ({
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.taskDuration = m.createHistogram(
      METRIC_NAMES.taskDuration,
      seconds('How long one attempt of a task ran its handler'),
    );
    this.leaseLost = m.createCounter(METRIC_NAMES.leaseLost, {
      description: 'Attempts stopped because their lease was lost',
    });
    this.deadLetters = m.createCounter(METRIC_NAMES.deadLetters, {
      description: 'Dead-lettered messages processed by the maintenance',
    });
    this.rateLimitDenials = m.createCounter(METRIC_NAMES.rateLimitDenials, {
      description: 'Rate-limit checks and slot requests refused',
    });
    this.maintenanceDuration = m.createHistogram(
      METRIC_NAMES.maintenanceDuration,
      seconds('How long one maintenance pass ran'),
    );
    this.queueDepth = m.createObservableGauge(METRIC_NAMES.queueDepth, {
      description: 'Messages in a work queue, by state',
    });
  }

  /**
   * Runs a submit in its span (a child of the caller's active span, if any). `run` receives
   * the span's traceparent (null without an SDK), which the job stores so that every span
   * of the job joins this trace.
   */
  traceSubmit(
    tenantId: unknown,
    run: (traceContext: string | null) => ResultAsync<Job, DalstonError>,
  ): ResultAsync<Job, DalstonError> {
    const span = this.tracer.startSpan(SPAN_NAMES.submit, { kind: SpanKind.PRODUCER });
    if (span.isRecording() && typeof tenantId === 'string')
      span.setAttribute(TELEMETRY_ATTRIBUTES.tenantId, tenantId);
    return run(traceparentOf(span))
      .map((job) => {
        if (span.isRecording()) span.setAttributes(jobAttributes(job));
        span.end();
        return job;
      })
      .mapErr((e) => {
        markFailed(span, e.code);
        span.end();
        return e;
      });
  }

  /** Records one attempt's handler run. */
  taskRan(durationMs: number, attributes: Attributes): void {
    this.taskDuration.record(durationMs / 1000, attributes);
  }

  countLeaseLost(attributes: Attributes): void {
    this.leaseLost.add(1, attributes);
  }

  countDeadLetters(queue: string, n: number): void {
    if (n > 0) this.deadLetters.add(n, { [TELEMETRY_ATTRIBUTES.queue]: queue });
  }

  countRateLimitDenial(kind: 'requests' | 'slots'): void {
    this.rateLimitDenials.add(1, { [TELEMETRY_ATTRIBUTES.rateLimitKind]: kind });
  }

  /** Runs one maintenance pass and records its duration (whether it ran, was skipped or failed). */
  async timePass<T>(pass: string, fn: () => Promise<T>): Promise<T> {
    const started = monotonicMs();
    try {
      return await fn();
    } finally {
      this.maintenanceDuration.record((monotonicMs() - started) / 1000, {
        [TELEMETRY_ATTRIBUTES.maintenancePass]: pass,
      });
    }
  }

  /**
   * Reports the depth of each queue `queues()` lists, read with `stats` at each collection
   * (a queue whose stats cannot be read is left out of that collection). Returns the
   * function that stops it.
   */
  observeQueueDepth(
    queues: () => Iterable<string>,
    stats: (queue: string) => Promise<QueueStats>,
  ): () => void {
    const callback = async (result: ObservableResult) => {
      await Promise.all(
        [...queues()].map(async (queue) => {
          const s = await stats(queue).catch(() => null);
          if (!s) return;
          for (const state of QUEUE_STATES) {
            result.observe(s[state], {
              [TELEMETRY_ATTRIBUTES.queue]: queue,
              [TELEMETRY_ATTRIBUTES.queueState]: state,
            });
          }
        }),
      );
    };
    this.queueDepth.addCallback(callback);
    return () => this.queueDepth.removeCallback(callback);
  }
}

export function jobAttributes(job: Job): Attributes {
  return {
    [TELEMETRY_ATTRIBUTES.tenantId]: job.tenantId,
    [TELEMETRY_ATTRIBUTES.jobId]: job.id,
    [TELEMETRY_ATTRIBUTES.jobType]: job.type,
    [TELEMETRY_ATTRIBUTES.correlationId]: job.correlationId,
  };
}

/** Error status with the error code as its message, and `dalston.error.code`. */
export function markFailed(span: Span, code: string): void {
  if (!span.isRecording()) return;
  span.setAttribute(TELEMETRY_ATTRIBUTES.errorCode, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}
