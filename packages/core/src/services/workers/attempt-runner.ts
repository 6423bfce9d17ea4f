/**
 * Runs one leased queue message: start the task (compare-and-set), run its handler
 * under heartbeats and a timeout, record the outcome, then ack. The queue message is
 * acked only once the outcome is recorded (or the message turned out to be obsolete),
 * so a crash at any point leaves the message to be redelivered after its lease. When the
 * queue declares `ackAndLease`, the ack is left to the worker loop, which sends it with
 * the request for the next lease (one round trip instead of two).
 *
 * With `startWriteDelayMs` > 0 the start is folded: the job is read (no write), and when
 * the task is ready at the message's attempt the handler runs at once; its start is written
 * with its outcome in one transaction, or on its own if the handler outlives the delay
 * (`FoldedStart`). Anything else goes through the ordinary start, whose write decides.
 */
import type { DalstonConfig } from '../../config.js';
import type { JobSnapshot, Occurrence } from '../../domain/change.js';
import type { Job } from '../../domain/job.js';
import { describeThrown } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { Lease, WorkQueue } from '../../ports/work-queue.js';
import { AttemptTrace } from '../telemetry/attempt-trace.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { JobTransitions, StartOccurrence, TransitionOutcome } from '../transitions/job-transitions.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import { occurrenceOf, type Settled, storableFallback } from './attempt-outcome.js';
import { buildContext, type TaskHandler } from './context.js';
import { FoldedStart, foldDelayMs, previewFolded, startWriteRetry } from './folded-start.js';
import { Heartbeat, type StopReason } from './heartbeat.js';
import { attemptProgress, type ProgressCoalescer, storableProgress } from './progress-coalescer.js';
import { isStoreUnavailable, retryStoreCall, StoreFaults } from './store-retry.js';
import { TaskFailure } from './task-failure.js';

/** Lets the worker stop an attempt (at shutdown); `counted: false` keeps it out of `running`. */
export type Register = (stop: (r: StopReason) => void, options?: { counted?: boolean }) => () => void;

export interface RunnerDeps {
  jobStore: JobStore;
  workQueue: WorkQueue;
  artifacts: ArtifactStore;
  clock: Clock;
  config: DalstonConfig;
  logger: Logger;
  transitions: JobTransitions;
  runtime: EngineRuntime;
  telemetry: Telemetry;
  leaseMs: number;
  /** Leave acks to the worker loop, which sends each with its next lease (`WorkQueue.ackAndLease`). */
  deferAck?: boolean;
  /** The handler of a task (by its stage, or by its job's type and its stage). */
  handlerFor(task: Task, job: Job): TaskHandler | undefined;
}

/**
 * A handler still running when its attempt ended (stopped by a timeout, a cancel, a lost
 * lease, a failed job or a shutdown, and the handler ignored its signal). The attempt's
 * outcome is recorded regardless; the worker keeps the handler's slot until `settled`.
 */
export interface OverdueHandler {
  jobId: string;
  taskId: string;
  stage: string;
  attempt: number;
  correlationId: string;
  reason: StopReason;
  /** Resolves (never rejects) once the handler returns or throws. */
  settled: Promise<void>;
}

export class AttemptRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /**
   * Handles one lease to the end. Never rejects. `register` lets the worker stop it at
   * shutdown. Resolves with the lease when its message is done and still to be acked:
   * with `deferAck`, the worker acks it together with its next lease; without, it is
   * acked here and this resolves null. `overdue` is told, before the outcome is recorded,
   * when the attempt ended while its handler still runs.
   */
  async run(
    lease: Lease,
    register: Register,
    overdue?: (handler: OverdueHandler) => void,
  ): Promise<Lease | null> {
    const trace = new AttemptTrace(this.deps.telemetry, lease);
    try {
      const folded = await previewFolded(this.deps, lease);
      if (folded)
        return await this.execute(trace, lease, folded.snapshot, folded.task, register, overdue, folded.fold);
      const started = await this.start(lease);
      if (!started) return null;
      if ('done' in started) return started.done;
      return await this.execute(trace, lease, started.snapshot, started.task, register, overdue);
    } catch (e) {
      this.deps.logger.error('attempt failed unexpectedly; the message will be redelivered', {
        messageId: lease.message.id,
        error: describeThrown(e),
      });
      return null;
    }
  }

  /** Acks a lease whose message is done (logged, never rejects). */
  async ack(lease: Lease): Promise<void> {
    await this.deps.workQueue.ack(lease.message.queue, lease.message.id, lease.token).catch((e) =>
      this.deps.logger.warn('ack failed; the message will be redelivered and dropped as stale', {
        messageId: lease.message.id,
        error: describeThrown(e),
      }),
    );
  }

  /** The message of `lease` is done: ack it now, or hand it to the worker to ack with its next lease. */
  private async done(lease: Lease): Promise<Lease | null> {
    if (this.deps.deferAck) return lease;
    await this.ack(lease);
    return null;
  }

  /** `ready → running`, or what is left to ack after dealing with a message that cannot start now. */
  private async start(
    lease: Lease,
  ): Promise<{ snapshot: JobSnapshot; task: Task } | { done: Lease | null } | null> {
    const { message } = lease;
    const outcome = await this.deps.transitions.apply(message.jobId, {
      kind: 'start',
      taskId: message.taskId,
      leaseToken: lease.token,
      leaseExpiresAt: this.deps.clock.now() + this.deps.leaseMs,
    });
    const task = outcome.snapshot?.tasks.find((t) => t.id === message.taskId);
    if (outcome.applied && task?.status === 'running' && task.leaseToken === lease.token) {
      return { snapshot: outcome.snapshot!, task };
    }
    if (outcome.applied) return { done: await this.done(lease) };
    return { done: await this.notStarted(lease, outcome.reason) };
  }

  private async notStarted(lease: Lease, reason: string | undefined): Promise<Lease | null> {
    const { message } = lease;
    if (reason === 'conflict' || reason === 'store_unavailable') {
      await this.release(lease, 10);
      return null;
    }
    if (reason === 'not_ready' || reason === 'stale') {
      const snapshot = await this.deps.jobStore.getSnapshot(null, message.jobId);
      const task = snapshot?.tasks.find((t) => t.id === message.taskId);
      const waitMs = task ? this.retryLaterMs(lease, task) : null;
      if (waitMs !== null) {
        await this.release(lease, waitMs);
        return null;
      }
    }
    // Obsolete (terminal, stale, unknown, or a pending task the reconciler will enqueue when ready).
    return this.done(lease);
  }

  /**
   * When to offer a message that cannot start yet again, or null to drop it. A ready task
   * not yet due waits for `notBefore`. A running task of this message's attempt whose task
   * lease still runs (its worker died: the queue lease, taken before the task's, lapsed a
   * moment earlier) waits for that expiry, so the next delivery takes the task over
   * without waiting for the reconciler; not on the message's last delivery, so a task whose
   * worker is alive (its queue lease lost in a store hiccup) is never dead-lettered this way.
   */
  private retryLaterMs(lease: Lease, task: Task): number | null {
    const now = this.deps.clock.now();
    if (task.status === 'ready' && task.notBefore !== null) return Math.max(1, task.notBefore - now);
    const { message } = lease;
    if (task.status !== 'running' || task.attempt !== message.attempt || task.leaseExpiresAt === null)
      return null;
    if (lease.deliveries >= message.maxDeliveries - 1) return null;
    // Already expired by now (the start was decided a moment before): offer it again at once.
    return Math.max(1, task.leaseExpiresAt - now + 10);
  }

  private async execute(
    trace: AttemptTrace,
    lease: Lease,
    snapshot: JobSnapshot,
    task: Task,
    register: Register,
    overdue?: (handler: OverdueHandler) => void,
    fold?: { start: StartOccurrence; startedAt: number },
  ): Promise<Lease | null> {
    const { correlationId } = snapshot.job;
    const logger = this.deps.logger.child({ jobId: task.jobId, taskId: task.id, correlationId });
    const hb = new Heartbeat({ ...this.deps, lease, task, logger });
    const folded = fold
      ? new FoldedStart(
          {
            ...this.deps,
            logger,
            delayMs: foldDelayMs(this.deps.config),
            retry: startWriteRetry(this.deps, lease, hb.signal, { jobId: task.jobId, correlationId }),
          },
          fold.start,
          fold.startedAt,
          task,
          { written: () => hb.beginBeats(), refused: (reason) => hb.stop(reason) },
        )
      : null;
    const unregister = register(hb.stop);
    const untrack = this.deps.runtime.track({
      jobId: task.jobId,
      taskId: task.id,
      attempt: task.attempt,
      leaseToken: lease.token,
      abort: (r) => hb.stop(r === 'cancelled' ? 'cancelled' : 'job_failed'),
    });
    hb.begin({ beats: !folded });
    folded?.arm();
    trace.started(snapshot.job, task);
    const faults = new StoreFaults();
    const progress = attemptProgress(this.deps, task, correlationId, hb.signal, folded);
    let settled: Settled;
    const handler: { run?: Promise<Settled> } = {};
    try {
      settled = await trace.run(() =>
        this.invoke(snapshot, task, hb, faults, progress, (run) => {
          handler.run = run;
        }),
      );
      // The last value the handler reported is written before its outcome; a stopped attempt's is dropped.
      if (settled.kind === 'stopped') progress.discard();
      else await progress.flush();
      await folded?.settle();
    } finally {
      hb.end();
      untrack();
      unregister();
    }
    trace.ran(settled, hb.reason);
    const held = settled.kind === 'stopped' && handler.run !== undefined;
    if (held) overdue?.(overdueOf(snapshot, task, hb, handler.run!));
    // A worker shutting down past its deadline stops the outcome's store retries too. A
    // handler still running is counted once, as overdue, not again for its recording.
    const recording = new AbortController();
    const unregisterRecording = register(() => recording.abort(), { counted: !held });
    try {
      return await trace.complete(() =>
        this.finish(lease, task, settled, hb.reason, faults, recording.signal, correlationId, folded),
      );
    } finally {
      unregisterRecording();
    }
  }

  /**
   * Runs the handler; resolves as soon as it settles or the attempt is stopped. `started`
   * receives the handler's own promise (it may outlive the attempt).
   */
  private async invoke(
    snapshot: JobSnapshot,
    task: Task,
    hb: Heartbeat,
    faults: StoreFaults,
    progress: ProgressCoalescer,
    started?: (run: Promise<Settled>) => void,
  ): Promise<Settled> {
    const handler = this.deps.handlerFor(task, snapshot.job);
    if (!handler) {
      const error = new TaskFailure(
        `no handler for stage "${task.stage}" of job type "${snapshot.job.type}"`,
        {
          retryable: false,
          code: 'NO_HANDLER',
        },
      );
      return { kind: 'threw', error };
    }
    const ctx = buildContext(snapshot, task, hb.signal, {
      artifacts: this.deps.artifacts,
      logger: this.deps.logger,
      progress: (data) => {
        const value = storableProgress(data, this.deps.logger, task, snapshot.job.correlationId);
        return value === null ? Promise.resolve() : progress.report(value);
      },
      faults,
    });
    const run = (async () => handler(ctx))().then(
      (value): Settled => ({ kind: 'returned', value }),
      (error): Settled => ({ kind: 'threw', error }),
    );
    started?.(run);
    return Promise.race([run, hb.stopped.then((): Settled => ({ kind: 'stopped' }))]);
  }

  private retryStore<T>(
    call: () => Promise<T>,
    signal: AbortSignal | undefined,
    fields: Record<string, unknown>,
  ): Promise<T> {
    return retryStoreCall(call, {
      clock: this.deps.clock,
      budgetMs: this.deps.config.storeRetryBudgetMs,
      ...(signal ? { signal } : {}),
      onRetry: (e, n) =>
        this.deps.logger.warn('store unavailable; retrying', { ...fields, try: n, error: e.message }),
    });
  }

  private async finish(
    lease: Lease,
    task: Task,
    settled: Settled,
    reason: StopReason | null,
    faults: StoreFaults,
    signal: AbortSignal,
    correlationId: string,
    folded: FoldedStart | null,
  ): Promise<Lease | null> {
    const unwritten = folded !== null && folded.state !== 'written';
    if (reason === 'shutdown') {
      // A start never written holds no task lease: only the message goes back.
      if (unwritten) await this.release(lease, 0);
      else await this.handBack(lease, task);
      return null;
    }
    if (folded?.state === 'refused') return this.notStarted(lease, folded.refusedReason);
    const occurrence = occurrenceOf(task, lease, settled, reason, faults);
    const fold = unwritten ? folded : null;
    const recorded = await this.record(task.jobId, correlationId, occurrence, signal, fold);
    if (!recorded) return null;
    // A folded write the store refused: the start no longer applies (the message is obsolete or early).
    if (fold && recorded !== true && !recorded.applied) return this.notStarted(lease, recorded.reason);
    return this.done(lease);
  }

  /**
   * Records the outcome (with the folded start when `fold` is given), retrying
   * STORE_UNAVAILABLE within the store retry budget (or until `signal` aborts). When the
   * store refuses the outcome itself (any other error), records its storable fallback once,
   * so the attempt still ends. True when there was nothing to record; the write's outcome
   * when written; false when nothing could be recorded (the message is then redelivered
   * after its lease).
   */
  private async record(
    jobId: string,
    correlationId: string,
    occurrence: Occurrence | null,
    signal: AbortSignal,
    fold: FoldedStart | null,
    fallBack = true,
  ): Promise<TransitionOutcome | boolean> {
    if (!occurrence) return true;
    const { transitions } = this.deps;
    try {
      return await this.retryStore(
        () =>
          fold
            ? transitions.applyFolded(jobId, fold.start, fold.startedAt, occurrence)
            : transitions.apply(jobId, occurrence),
        signal,
        { jobId, correlationId },
      );
    } catch (e) {
      const fallback = isStoreUnavailable(e) || !fallBack ? null : storableFallback(occurrence, e);
      this.deps.logger.warn(
        fallback ? 'outcome refused by the store; recording a storable failure' : 'outcome not recorded',
        {
          jobId,
          correlationId,
          kind: occurrence.kind,
          error: describeThrown(e),
        },
      );
      if (!fallback) return false;
      return this.record(jobId, correlationId, fallback, signal, fold, false);
    }
  }

  /** Shutdown: end the attempt's lease now and give the message back uncounted, so another worker takes over at once. */
  private async handBack(lease: Lease, task: Task): Promise<void> {
    await this.deps.jobStore
      .extendLease(task.id, task.attempt, lease.token, this.deps.clock.now())
      .catch(() => false);
    await this.release(lease, 0);
  }

  private async release(lease: Lease, delayMs: number): Promise<void> {
    await this.deps.workQueue
      .release(lease.message.queue, lease.message.id, lease.token, { delayMs })
      .catch(() => false);
  }
}

/** The handler of a stopped attempt, still running (its settled promise never rejects). */
const overdueOf = (
  snapshot: JobSnapshot,
  task: Task,
  hb: Heartbeat,
  run: Promise<Settled>,
): OverdueHandler => ({
  jobId: task.jobId,
  taskId: task.id,
  stage: task.stage,
  attempt: task.attempt,
  correlationId: snapshot.job.correlationId,
  reason: hb.reason ?? 'shutdown',
  settled: run.then(() => undefined),
});
