/**
 * Applies one occurrence to one job: runs core's pure `decide` inside the JobStore's
 * serialised update, then carries out what the decision asks for after commit —
 * enqueue the tasks that became ready, publish the events, free the tenant's job slot
 * when the job became terminal, and abort the attempts this process runs that must stop.
 * After-commit steps are best effort: the reconciler repairs what a crash leaves undone.
 */

import type { DalstonConfig } from '../../config.js';
import type { DecideContext, Decision, JobSnapshot, Occurrence } from '../../domain/change.js';
import { toDalstonError } from '../../domain/errors.js';
import type { DalstonEvent } from '../../domain/events.js';
import { isTerminalJobStatus } from '../../domain/job.js';
import type { Task } from '../../domain/task.js';
import { applyChange, decide, decideFolded } from '../../domain/transitions.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { RateLimitsService } from '../rate-limits/rate-limits-service.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import { jobLogFields, logJobEvents } from './job-log.js';
import { jobSlotKey, messageFor } from './keys.js';
import { EventPublisher } from './publisher.js';

export type StartOccurrence = Extract<Occurrence, { kind: 'start' }>;

export interface TransitionOutcome {
  applied: boolean;
  /** Why nothing was written (decide's reason, or the store's). */
  reason?: string;
  decision: Decision | null;
  /** The job after the change (only when applied). */
  snapshot: JobSnapshot | null;
  events: DalstonEvent[];
}

export class JobTransitions {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.workQueue,
    RateLimitsService,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.random,
    TOKENS.runtime,
    TOKENS.logger,
    EventPublisher,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly workQueue: WorkQueue,
    private readonly rateLimits: RateLimitsService,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly random: () => number,
    private readonly runtime: EngineRuntime,
    private readonly logger: Logger,
    private readonly publisher: EventPublisher,
  ) {}

  /** Decides and writes; rejects only when the store does. */
  apply(jobId: string, occurrence: Occurrence): Promise<TransitionOutcome> {
    return this.write(jobId, (snapshot) => decide(snapshot, occurrence, this.context(this.clock.now())));
  }

  /**
   * A start and its attempt's outcome as one write (a folded start): nothing is written
   * unless `start` still moves the ready task to running with its token (see `decideFolded`).
   */
  applyFolded(
    jobId: string,
    start: StartOccurrence,
    startedAt: number,
    occurrence: Occurrence,
  ): Promise<TransitionOutcome> {
    return this.write(jobId, (snapshot) =>
      decideFolded(snapshot, start, startedAt, occurrence, this.context(this.clock.now())),
    );
  }

  /**
   * Whether `start` would start the message's task now, decided on a read of the job (no
   * write): the job as the start would leave it and the started task, or null when the
   * task is not `ready` at this attempt (the ordinary start then decides). Rejects only
   * when the store does.
   */
  async previewStart(
    jobId: string,
    attempt: number,
    start: StartOccurrence,
    now: number,
  ): Promise<{ snapshot: JobSnapshot; task: Task } | null> {
    // This store's latest state of the job is enough: the folded write is fenced by its compare-and-set.
    const snapshot = this.jobStore.peekSnapshot
      ? await this.jobStore.peekSnapshot(jobId)
      : await this.jobStore.getSnapshot(null, jobId);
    const current = snapshot?.tasks.find((t) => t.id === start.taskId);
    if (!snapshot || current?.status !== 'ready' || current.attempt !== attempt) return null;
    const decision = decide(snapshot, start, this.context(now));
    if (!decision.change) return null;
    const after = applyChange(snapshot, decision.change);
    const task = after.tasks.find((t) => t.id === start.taskId);
    if (task?.status !== 'running' || task.leaseToken !== start.leaseToken) return null;
    return { snapshot: after, task };
  }

  private context(now: number): DecideContext {
    return {
      now,
      random: this.random,
      maxLostLeases: this.config.maxLostLeases,
      maxStoreInterruptions: this.config.maxStoreInterruptions,
      storeRetryBackoff: this.config.storeRetryBackoff,
    };
  }

  private async write(
    jobId: string,
    decideNow: (snapshot: JobSnapshot) => Decision,
  ): Promise<TransitionOutcome> {
    let decision: Decision | null = null;
    const result = await this.jobStore.updateJob(jobId, (snapshot) => {
      decision = decideNow(snapshot);
      return decision.change;
    });
    const decided = decision as Decision | null;
    if (!result.applied) {
      return {
        applied: false,
        reason: decided?.reason ?? result.reason,
        decision: decided,
        snapshot: null,
        events: [],
      };
    }
    await this.afterCommit(result.snapshot, decided!, result.events);
    return { applied: true, decision: decided, snapshot: result.snapshot, events: result.events };
  }

  /**
   * Enqueues, publishes, frees the slot and aborts, as the decision says. Never rejects.
   * The three store calls do not depend on each other (each failure is logged and repaired
   * by the reconciler or the relay; all three only need the commit before them), so they
   * are started together, in that order, and awaited together: one round-trip wait instead
   * of three on the worker's path. Publishes of one job still start in commit order.
   */
  async afterCommit(snapshot: JobSnapshot, decision: Decision, events: DalstonEvent[]): Promise<void> {
    const { job } = snapshot;
    const fields = jobLogFields(job);
    logJobEvents(this.logger, events);
    const steps: Promise<unknown>[] = [
      this.enqueue(decision.enqueue, fields),
      this.publisher.publish(events),
    ];
    if (isTerminalJobStatus(job.status)) steps.push(this.releaseJobSlot(job.tenantId, job.id, fields));
    await Promise.all(steps);
    // Running attempts to stop, and ready tasks this change ended (cancelled) whose handler
    // may already run here with its start not yet written (a folded start).
    const ended = (decision.change?.tasks ?? [])
      .filter((w) => w.expected.status === 'ready' && w.next.status === 'cancelled')
      .map((w) => ({ taskId: w.next.id, attempt: w.expected.attempt, leaseToken: '' }));
    const abort = [...decision.abort, ...ended];
    if (abort.length > 0) {
      const reason = job.status === 'failed' ? 'job_failed' : 'cancelled';
      this.runtime.abort(job.id, reason, abort);
    }
  }

  /**
   * Enqueues ready tasks (idempotent per attempt). Never rejects: the reconciler re-enqueues.
   * `logFields` (the job's, when the tasks are one job's) go on the failure's log line.
   */
  async enqueue(tasks: readonly Task[], logFields: Record<string, unknown> = {}): Promise<number> {
    if (tasks.length === 0) return 0;
    try {
      return await this.workQueue.enqueue(tasks.map((t) => messageFor(t, this.config.maxDeliveries)));
    } catch (e) {
      this.logger.warn('enqueue failed; the reconciler will re-enqueue', {
        ...logFields,
        error: toDalstonError(e).message,
        taskIds: tasks.map((t) => t.id),
      });
      return 0;
    }
  }

  /**
   * Frees the tenant's concurrent-job slot of this job, in the store and in the fail-open
   * fallback limiter (which admitted the job if the store was down). Never rejects (slots
   * expire and are resynced).
   */
  async releaseJobSlot(
    tenantId: string,
    jobId: string,
    logFields: Record<string, unknown> = {},
  ): Promise<void> {
    const released = await this.rateLimits.releaseSlot(jobSlotKey(tenantId), jobId);
    if (released.isErr()) {
      this.logger.warn('slot release failed; resync will fix it', {
        tenantId,
        jobId,
        ...logFields,
        error: released.error.message,
      });
    }
  }
}
