/**
 * The watch over one running attempt: the timeout timer, and a heartbeat every
 * `heartbeatMs` that extends the queue lease and the task's lease in the JobStore and
 * reads the task back, so a cancel requested from another process, a lost lease or a
 * failed job stops the handler. `stop()` aborts the handler's signal with the reason.
 */
import type { DalstonConfig } from '../../config.js';
import { DalstonError } from '../../domain/errors.js';
import { describeThrown } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { Lease, WorkQueue } from '../../ports/work-queue.js';

export type StopReason = 'timeout' | 'cancelled' | 'job_failed' | 'lease_lost' | 'shutdown';

export interface HeartbeatDeps {
  jobStore: JobStore;
  workQueue: WorkQueue;
  clock: Clock;
  config: DalstonConfig;
  logger: Logger;
  leaseMs: number;
  lease: Lease;
  task: Task;
}

export class Heartbeat {
  reason: StopReason | null = null;
  readonly stopped: Promise<void>;
  private readonly controller = new AbortController();
  private resolveStopped!: () => void;
  private cancelTimeout: (() => void) | null = null;
  private cancelBeat: (() => void) | null = null;
  private ended = false;
  /** Beats in a row that failed (a store unavailable); the next beat comes sooner. */
  private failedBeats = 0;

  constructor(private readonly deps: HeartbeatDeps) {
    this.stopped = new Promise((r) => {
      this.resolveStopped = r;
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  stop = (reason: StopReason): void => {
    if (this.reason !== null || this.ended) return;
    this.reason = reason;
    this.resolveStopped();
    const code = reason === 'timeout' ? 'TIMEOUT' : reason === 'lease_lost' ? 'LEASE_LOST' : 'CANCELLED';
    this.controller.abort(new DalstonError(code, `attempt stopped: ${reason}`));
  };

  /**
   * Starts the timeout timer and, unless `beats` is false (a folded start whose start is not
   * written yet: there is no task lease to extend), the heartbeats.
   */
  begin(options: { beats?: boolean } = {}): void {
    this.cancelTimeout = this.deps.clock.setTimer(() => this.stop('timeout'), this.deps.task.timeoutMs);
    if (options.beats !== false) this.schedule();
  }

  /** Starts the heartbeats of an attempt begun without them (its start is now written). */
  beginBeats(): void {
    if (this.cancelBeat === null) this.schedule();
  }

  end(): void {
    this.ended = true;
    this.cancelTimeout?.();
    this.cancelBeat?.();
  }

  /**
   * The next beat: every `heartbeatMs`, or after a failed beat sooner, backing off from
   * 100 ms (doubling, capped at `heartbeatMs`), so a lease survives a short store outage.
   */
  private schedule(): void {
    if (this.ended || this.reason !== null) return;
    const { heartbeatMs } = this.deps.config;
    const delay =
      this.failedBeats === 0 ? heartbeatMs : Math.min(heartbeatMs, 100 * 2 ** (this.failedBeats - 1));
    this.cancelBeat = this.deps.clock.setTimer(() => {
      void this.beat().finally(() => this.schedule());
    }, delay);
  }

  private async beat(): Promise<void> {
    const { jobStore, workQueue, clock, lease, task, leaseMs } = this.deps;
    try {
      const queueExtended = await workQueue
        .extend(lease.message.queue, lease.message.id, lease.token, leaseMs)
        .then(
          () => true,
          () => false,
        );
      await jobStore.extendLease(task.id, task.attempt, lease.token, clock.now() + leaseMs);
      const snapshot = await jobStore.getSnapshot(null, task.jobId);
      this.failedBeats = queueExtended ? 0 : this.failedBeats + 1;
      if (this.ended) return;
      const current = snapshot?.tasks.find((t) => t.id === task.id);
      const ours =
        current?.status === 'running' &&
        current.attempt === task.attempt &&
        current.leaseToken === lease.token;
      if (ours && current.cancelRequested) this.stop('cancelled');
      else if (!ours) this.stop(snapshot?.job.status === 'failed' ? 'job_failed' : 'lease_lost');
    } catch (e) {
      this.failedBeats++;
      this.deps.logger.warn('heartbeat failed; retrying soon', {
        taskId: task.id,
        error: describeThrown(e),
      });
    }
  }
}
