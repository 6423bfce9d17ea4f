/**
 * jobs.cancel, jobs.retry and jobs.delete: commands on one job of a tenant. Another
 * tenant's job reads as NOT_FOUND.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DalstonConfig } from '../../config.js';
import { jobPrefix } from '../../domain/artifact-key.js';
import { DalstonError, notFound } from '../../domain/errors.js';
import { isTerminalJobStatus, type Job } from '../../domain/job.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { JobStore } from '../../ports/job-store.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { attempt } from '../boundary/result.js';
import { RateLimitsService } from '../rate-limits/rate-limits-service.js';
import { JobTransitions, type TransitionOutcome } from '../transitions/job-transitions.js';
import { jobSlotKey, messageId } from '../transitions/keys.js';

export class JobCommands {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.workQueue,
    TOKENS.artifactStore,
    TOKENS.tenantStore,
    TOKENS.config,
    JobTransitions,
    RateLimitsService,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly workQueue: WorkQueue,
    private readonly artifacts: ArtifactStore,
    private readonly tenantStore: TenantStore,
    private readonly config: DalstonConfig,
    private readonly transitions: JobTransitions,
    private readonly rateLimits: RateLimitsService,
  ) {}

  /**
   * Cancels the job: pending and ready tasks at once (their queued messages removed),
   * running ones signalled (in this process at once; elsewhere through the task's
   * cancelRequested flag their workers check at each heartbeat). Cancelling a terminal
   * job returns it unchanged.
   */
  cancel(tenantId: string, jobId: string, reason = 'cancelled by request'): ResultAsync<Job, DalstonError> {
    return this.owned(tenantId, jobId)
      .andThen(() => attempt(() => this.transitions.apply(jobId, { kind: 'cancel', reason })))
      .andThen((outcome) => attempt(() => this.removeQueued(outcome)))
      .andThen(() => this.owned(tenantId, jobId));
  }

  /** Retries a failed job's failed and cancelled tasks (INVALID_TRANSITION unless failed). */
  retry(tenantId: string, jobId: string): ResultAsync<Job, DalstonError> {
    return this.owned(tenantId, jobId)
      .andThen((job) =>
        job.status === 'failed' && job.purgedAt === null
          ? okAsync(job)
          : errAsync(
              new DalstonError(
                'INVALID_TRANSITION',
                `job ${jobId} is ${job.status}; only a failed job can be retried`,
              ),
            ),
      )
      .andThen((job) => this.admitRetry(job))
      .andThen(() => attempt(() => this.transitions.apply(jobId, { kind: 'retry' })))
      .andThen((outcome) => {
        if (outcome.applied) return this.owned(tenantId, jobId);
        return attempt(() => this.transitions.releaseJobSlot(tenantId, jobId)).andThen(() =>
          errAsync(
            new DalstonError('INVALID_TRANSITION', `job ${jobId} cannot be retried (${outcome.reason})`),
          ),
        );
      });
  }

  /** Deletes a terminal job: its objects first, then its rows. */
  delete(tenantId: string, jobId: string): ResultAsync<void, DalstonError> {
    return this.owned(tenantId, jobId)
      .andThen((job) =>
        isTerminalJobStatus(job.status)
          ? okAsync(job)
          : errAsync(
              new DalstonError(
                'INVALID_TRANSITION',
                `job ${jobId} is ${job.status}; only a terminal job can be deleted`,
              ),
            ),
      )
      .andThen(() => attempt(() => this.artifacts.deletePrefix(jobPrefix(tenantId, jobId))))
      .andThen(() => attempt(() => this.jobStore.deleteJob(tenantId, jobId)))
      .andThen((deleted) => (deleted ? okAsync(undefined) : errAsync(notFound('job', jobId))));
  }

  private owned(tenantId: string, jobId: string): ResultAsync<Job, DalstonError> {
    return attempt(() => this.jobStore.getJob(tenantId, jobId)).andThen((job) =>
      job ? okAsync(job) : errAsync(notFound('job', jobId)),
    );
  }

  private admitRetry(job: Job): ResultAsync<void, DalstonError> {
    return attempt(() => this.tenantStore.get(job.tenantId)).andThen((tenant) => {
      const limit = tenant?.limits.concurrentJobs ?? this.config.limits.concurrentJobs;
      const failure = this.config.rateLimitFailure.concurrentJobs ?? this.config.rateLimitFailure.default;
      return this.rateLimits
        .acquireSlot(jobSlotKey(job.tenantId), job.id, limit, { failure })
        .andThen((slot) =>
          slot.acquired
            ? okAsync(undefined)
            : errAsync(
                new DalstonError(
                  'RATE_LIMITED',
                  `tenant ${job.tenantId} is at its concurrent-job limit (${limit})`,
                  {
                    retryAfterMs: 1000,
                  },
                ),
              ),
        );
    });
  }

  /** Removes the queued messages of the tasks a cancel ended before they ran. */
  private async removeQueued(outcome: TransitionOutcome): Promise<void> {
    const writes = outcome.decision?.change?.tasks ?? [];
    for (const w of writes) {
      if (w.next.status !== 'cancelled' || w.expected.status !== 'ready') continue;
      await this.workQueue.remove(w.next.queue, messageId(w.next.id, w.next.attempt)).catch(() => false);
    }
  }
}
