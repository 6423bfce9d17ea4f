/**
 * A folded start (docs/architecture.md, "Folded starts"): the handler of a task read as
 * `ready` runs before its start is written. When it settles within the delay, the runner
 * writes start and outcome in one transaction (`JobTransitions.applyFolded`); when it is
 * still running then, or reports progress, the start is written on its own, as an ordinary
 * start, and the attempt goes on with heartbeats. A start the store refuses (the task was
 * cancelled, ended or taken meanwhile) stops the handler: the attempt is not this worker's.
 */

import { describeThrown } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { JobTransitions, StartOccurrence } from '../engine/job-transitions.js';

export type FoldState = 'deferred' | 'writing' | 'written' | 'refused';

export interface FoldedStartDeps {
  transitions: JobTransitions;
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
    private readonly on: { written: () => void; refused: () => void },
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
      this.refuse(outcome.applied ? 'stale' : (outcome.reason ?? 'stale'));
    } catch (e) {
      // As when an ordinary start cannot be written: the attempt stops, its message goes back.
      this.deps.logger.warn('start not written; stopping the attempt, its message goes back', {
        jobId: this.task.jobId,
        taskId: this.task.id,
        error: describeThrown(e),
      });
      this.refuse('store_unavailable');
    }
  }

  private refuse(reason: string): void {
    this.state = 'refused';
    this.refusedReason = reason;
    this.on.refused();
  }
}
