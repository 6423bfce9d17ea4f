/**
 * A folded start (docs/architecture.md, "Folded starts"): the handler of a task read as
 * `ready` runs before its start is written. When it settles within the delay, the runner
 * writes start and outcome in one transaction (`JobTransitions.applyFolded`); when it is
 * still running then, or reports progress, the start is written on its own, as an ordinary
 * start, and the attempt goes on with heartbeats. A start the store refuses (the task was
 * cancelled, ended or taken meanwhile) stops the handler: the attempt is not this worker's.
 */
import type { DalstonConfig } from '../../config.js';
import type { JobSnapshot } from '../../domain/change.js';
import { describeThrown } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { Lease, WorkQueue } from '../../ports/work-queue.js';
import type { JobTransitions, StartOccurrence } from '../transitions/job-transitions.js';
import type { StopReason } from './heartbeat.js';
import { retryStoreCall } from './store-retry.js';

/** How long a start waits for its outcome: `startWriteDelayMs`, at most `heartbeatMs`. */
export const foldDelayMs = (config: DalstonConfig): number =>
  Math.min(config.startWriteDelayMs, config.heartbeatMs);

interface PreviewDeps {
  transitions: JobTransitions;
  clock: Clock;
  config: DalstonConfig;
  leaseMs: number;
}

/**
 * A folded start when it applies: the job read back (no write), the task ready at the
 * message's attempt, and the start it would get. Null: start the ordinary way (always for a
 * message delivered more than once).
 */
export async function previewFolded(
  deps: PreviewDeps,
  lease: Lease,
): Promise<{
  snapshot: JobSnapshot;
  task: Task;
  fold: { start: StartOccurrence; startedAt: number };
} | null> {
  if (foldDelayMs(deps.config) <= 0) return null;
  // A redelivered message: its last holder crashed or stalled, maybe in this very handler.
  // Write the start first, so that a handler that kills its process is charged a lost lease
  // (and a poison task is told from the bystanders it takes down with it).
  if (lease.deliveries > 1) return null;
  const { message } = lease;
  const startedAt = deps.clock.now();
  const start: StartOccurrence = {
    kind: 'start',
    taskId: message.taskId,
    leaseToken: lease.token,
    leaseExpiresAt: startedAt + deps.leaseMs,
  };
  const preview = await deps.transitions.previewStart(message.jobId, message.attempt, start, startedAt);
  return preview ? { ...preview, fold: { start, startedAt } } : null;
}

/**
 * How a folded start's own write is retried: STORE_UNAVAILABLE within the store retry
 * budget (until `signal` aborts), as the attempt's other writes; the queue lease is
 * extended at each retry, since no heartbeat runs before the start is written.
 */
export function startWriteRetry(
  deps: { clock: Clock; config: DalstonConfig; logger: Logger; workQueue: WorkQueue; leaseMs: number },
  lease: Lease,
  signal: AbortSignal,
  fields: Record<string, unknown>,
): <T>(call: () => Promise<T>) => Promise<T> {
  const { message } = lease;
  return (call) =>
    retryStoreCall(call, {
      clock: deps.clock,
      budgetMs: deps.config.storeRetryBudgetMs,
      signal,
      onRetry: (e, n) => {
        deps.logger.warn('store unavailable; retrying', { ...fields, try: n, error: e.message });
        void deps.workQueue
          .extend(message.queue, message.id, lease.token, deps.leaseMs)
          .catch(() => undefined);
      },
    });
}

export type FoldState = 'deferred' | 'writing' | 'written' | 'refused';

export interface FoldedStartDeps {
  transitions: JobTransitions;
  jobStore: JobStore;
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  /** How long the start waits for the outcome before it is written on its own. */
  delayMs: number;
  /**
   * Runs the start write, retrying STORE_UNAVAILABLE as the attempt's other writes do (and
   * keeping the queue lease meanwhile); rejects when it gives up.
   */
  retry: <T>(call: () => Promise<T>) => Promise<T>;
}

export class FoldedStart {
  state: FoldState = 'deferred';
  /** Why the store refused the start (decide's reason, `conflict`, or `store_unavailable`). */
  refusedReason: string | undefined;
  private writing: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly deps: FoldedStartDeps,
    readonly start: StartOccurrence,
    readonly startedAt: number,
    private readonly task: Task,
    private readonly on: { written: () => void; refused: (reason: StopReason) => void },
  ) {}

  /** True while the start is still to be written with the outcome. */
  get deferred(): boolean {
    return this.state === 'deferred';
  }

  /** Writes the start on its own once the delay has passed. */
  arm(): void {
    this.cancelTimer = this.deps.clock.setTimer(() => void this.write(), this.deps.delayMs);
  }

  /** The handler settled: no more timer; waits for a start write in flight. Never rejects. */
  async settle(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.writing;
  }

  /** Writes the start now (once); resolves when it is written or refused. Never rejects. */
  write(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.state !== 'deferred') return this.writing ?? Promise.resolve();
    this.state = 'writing';
    this.writing = this.writeStart();
    return this.writing;
  }

  private async writeStart(): Promise<void> {
    const { transitions, clock, leaseMs } = this.deps;
    try {
      const outcome = await this.deps.retry(() =>
        transitions.apply(this.task.jobId, { ...this.start, leaseExpiresAt: clock.now() + leaseMs }),
      );
      const t = outcome.snapshot?.tasks.find((x) => x.id === this.task.id);
      if (
        outcome.applied &&
        t?.status === 'running' &&
        t.attempt === this.task.attempt &&
        t.leaseToken === this.start.leaseToken
      ) {
        this.state = 'written';
        this.on.written();
        return;
      }
      await this.refuse(outcome.applied ? 'stale' : (outcome.reason ?? 'stale'));
    } catch (e) {
      // As when an ordinary start cannot be written: the attempt stops, its message goes back.
      this.deps.logger.warn('start not written; stopping the attempt, its message goes back', {
        jobId: this.task.jobId,
        taskId: this.task.id,
        error: describeThrown(e),
      });
      this.state = 'refused';
      this.refusedReason = 'store_unavailable';
      this.on.refused('lease_lost');
    }
  }

  /** The start was refused: tell the handler why, as a heartbeat would have (cancel, failed job, or not ours). */
  private async refuse(reason: string): Promise<void> {
    this.state = 'refused';
    this.refusedReason = reason;
    const snapshot = await this.deps.jobStore.getSnapshot(null, this.task.jobId).catch(() => null);
    const task = snapshot?.tasks.find((t) => t.id === this.task.id);
    const job = snapshot?.job.status;
    const cancelled = job === 'cancelling' || job === 'cancelled' || task?.status === 'cancelled';
    this.on.refused(job === 'failed' ? 'job_failed' : cancelled ? 'cancelled' : 'lease_lost');
  }
}
