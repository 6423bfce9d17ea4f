/**
 * Progress coalescing: `ctx.progress()` may be called thousands of times a second; the
 * attempt writes at most one `task.progress` event per `progressIntervalMs` (the latest
 * value wins), so a chatty handler cannot flood the job store.
 *
 * - The first value of an attempt is written at once (leading edge); values reported while
 *   a write is in flight or within the interval of the previous write's start are held, the
 *   latest replacing the earlier ones, and written when the interval has passed (trailing
 *   edge, one timer on the engine's clock).
 * - When the handler settles (returns or throws), `flush()` writes the latest value not yet
 *   written, so the last event carries the last value the handler reported. Completion waits
 *   for the write in flight, if any, and this one write, nothing more.
 * - When the attempt is stopped (timeout, cancel, lost lease, shutdown), `discard()` drops
 *   the held value: the attempt's lease is gone or going, so its progress no longer applies.
 * - Values reported after `flush()` or `discard()` (a handler still running past its
 *   attempt) are dropped.
 *
 * Over D ms between the first report and completion an attempt writes at most
 * floor(D / interval) + 1 events on its timer plus the final one. With `intervalMs` 0 no
 * rate is imposed, but writes still go one at a time (values reported meanwhile coalesce).
 */
import type { DalstonConfig } from '../../config.js';
import type { Occurrence } from '../../domain/change.js';
import type { JsonObject, JsonValue } from '../../domain/json.js';
import { describeThrown, toStorableJson } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { JobTransitions } from '../transitions/job-transitions.js';
import type { FoldedStart } from './folded-start.js';
import { retryStoreCall } from './store-retry.js';

export interface ProgressCoalescerDeps {
  clock: Clock;
  /** Least time between the starts of two writes, in ms. */
  intervalMs: number;
  /** Records one value; never rejects (failures are logged by the writer). */
  write(value: JsonObject): Promise<void>;
}

export class ProgressCoalescer {
  private held: JsonObject | null = null;
  private lastWriteAt: number | null = null;
  private inFlight: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private ended = false;

  constructor(private readonly deps: ProgressCoalescerDeps) {}

  /**
   * Accepts the handler's latest value (already a private, storable copy). Resolves when
   * this call's write is done if it started one, at once when the value is held.
   */
  report(value: JsonObject): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.held = value;
    if (this.inFlight !== null || this.cancelTimer !== null) return Promise.resolve();
    const waitMs = this.untilNextWrite();
    if (waitMs <= 0) return this.writeHeld();
    this.schedule(waitMs);
    return Promise.resolve();
  }

  /** The handler settled: waits for a write in flight, then writes the held value, if any. Never rejects. */
  async flush(): Promise<void> {
    this.end();
    await this.inFlight;
    const value = this.held;
    this.held = null;
    if (value !== null) await this.deps.write(value);
  }

  /** The attempt was stopped: drops the held value and anything reported later. */
  discard(): void {
    this.end();
    this.held = null;
  }

  private end(): void {
    this.ended = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private untilNextWrite(): number {
    if (this.lastWriteAt === null) return 0;
    return this.lastWriteAt + this.deps.intervalMs - this.deps.clock.now();
  }

  private writeHeld(): Promise<void> {
    const value = this.held!;
    this.held = null;
    this.lastWriteAt = this.deps.clock.now();
    const write = this.deps.write(value).finally(() => {
      this.inFlight = null;
      if (this.held !== null && !this.ended) this.schedule(Math.max(0, this.untilNextWrite()));
    });
    this.inFlight = write;
    return write;
  }

  private schedule(ms: number): void {
    this.cancelTimer = this.deps.clock.setTimer(() => {
      this.cancelTimer = null;
      if (!this.ended && this.inFlight === null && this.held !== null) void this.writeHeld();
    }, ms);
  }
}

/**
 * The handler's progress as a private storable copy, or null (logged) when it is not a
 * storable JSON object: such progress is dropped and does not replace a held value.
 */
export function storableProgress(
  data: unknown,
  logger: Logger,
  task: Task,
  correlationId: string,
): JsonObject | null {
  const progress = toStorableJson(data, 'progress');
  if (progress.isOk() && isJsonObject(progress.value)) return progress.value;
  logger.warn('progress not recorded: not a storable JSON object', {
    jobId: task.jobId,
    taskId: task.id,
    correlationId,
    error: progress.isErr() ? progress.error : 'progress is not an object',
  });
  return null;
}

const isJsonObject = (v: JsonValue): v is JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export interface AttemptProgressDeps {
  clock: Clock;
  config: DalstonConfig;
  logger: Logger;
  transitions: JobTransitions;
}

/**
 * The coalescer of one attempt, writing each value as a `task.progress` event against the
 * attempt's lease (a folded start is written first). A write never rejects: STORE_UNAVAILABLE
 * is retried within `storeRetryBudgetMs` while the attempt runs (`signal`), anything else is
 * logged and the value dropped.
 */
export function attemptProgress(
  deps: AttemptProgressDeps,
  task: Task,
  correlationId: string,
  signal: AbortSignal,
  folded: FoldedStart | null,
): ProgressCoalescer {
  const fields = { jobId: task.jobId, taskId: task.id, correlationId };
  const logger = deps.logger.child(fields);
  const write = async (progress: JsonObject): Promise<void> => {
    // Progress is recorded against a written start: write a folded one now.
    if (folded && folded.state !== 'written') await folded.write();
    if (folded && folded.state !== 'written') {
      logger.warn('progress not recorded: the attempt was not started', { taskId: task.id });
      return;
    }
    const ref = { taskId: task.id, attempt: task.attempt, leaseToken: task.leaseToken! };
    const occurrence: Occurrence = { kind: 'progress', ...ref, progress };
    await retryStoreCall(() => deps.transitions.apply(task.jobId, occurrence), {
      clock: deps.clock,
      budgetMs: deps.config.storeRetryBudgetMs,
      signal,
      onRetry: (e, n) =>
        deps.logger.warn('store unavailable; retrying', { ...fields, try: n, error: e.message }),
    }).catch((e) => logger.warn('progress not recorded', { taskId: task.id, error: describeThrown(e) }));
  };
  return new ProgressCoalescer({ clock: deps.clock, intervalMs: deps.config.progressIntervalMs, write });
}
