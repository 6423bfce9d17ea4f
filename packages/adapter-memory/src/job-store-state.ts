/**
 * The tables of the memory JobStore (jobs, tasks, the event log, the idempotency index)
 * and the read-only queries over them. Everything here is synchronous, so each call is
 * atomic; MemoryJobStore adds serialisation, compare-and-set and copying at the edges.
 */
import type { DalstonEvent, Job, JobSnapshot, NewEvent, PurgeCursor, Task } from '@dalston/core/adapter';
import { isTerminalJobStatus } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { EventLog } from './event-log.js';
import { type JobKey, TenantJobIndex } from './tenant-job-index.js';
import { compareText } from './text-order.js';

const idempotencyIndexKey = (tenantId: string, key: string) => `${tenantId}\u0000${key}`;

export class JobStoreState {
  readonly jobs = new Map<string, Job>();
  readonly tasks = new Map<string, Task>();
  /** Task ids of each job, in creation order. */
  readonly jobTasks = new Map<string, string[]>();
  private readonly idempotency = new Map<string, string>();
  /** Append-only (except deleteJob and row retention), indexed by job, tenant and publication. */
  private readonly log = new EventLog();
  /** Each tenant's jobs in listJobs order; kept in step with `jobs` by insertJob/replaceJob/removeJob. */
  private readonly tenantJobs = new TenantJobIndex();
  /** Per task: the change counter when it was last written with status ready. */
  private readonly readySeq = new Map<string, number>();
  private nextReadySeq = 1;

  /** Stores a task, noting when it was written ready (for `readyChangedSince`). */
  putTask(task: Task): void {
    this.tasks.set(task.id, task);
    if (task.status === 'ready') this.readySeq.set(task.id, this.nextReadySeq++);
    else this.readySeq.delete(task.id);
  }

  /** The mark `readyTasks(…, changedSince)` compares with: every later ready write is at or after it. */
  readyMark(): number {
    return this.nextReadySeq;
  }

  jobIdForKey(tenantId: string, key: string): string | undefined {
    return this.idempotency.get(idempotencyIndexKey(tenantId, key));
  }

  /** A deep copy of the job with its tasks, or null. */
  snapshot(jobId: string): JobSnapshot | null {
    const job = this.jobs.get(jobId);
    if (!job) return null;
    const tasks = (this.jobTasks.get(jobId) ?? []).map((id) => copy(this.tasks.get(id)!));
    return { job: copy(job), tasks };
  }

  insertJob(job: Job, tasks: Task[]): void {
    this.jobs.set(job.id, job);
    this.tenantJobs.add(job.tenantId, job);
    if (job.idempotencyKey != null) {
      this.idempotency.set(idempotencyIndexKey(job.tenantId, job.idempotencyKey), job.id);
    }
    for (const task of tasks) this.putTask(task);
    this.jobTasks.set(
      job.id,
      tasks.map((t) => t.id),
    );
  }

  /** Writes a new version of a stored job, keeping the tenant index in step. */
  replaceJob(job: Job): void {
    const before = this.jobs.get(job.id);
    if (before && (before.tenantId !== job.tenantId || before.createdAt !== job.createdAt)) {
      this.tenantJobs.remove(before.tenantId, before);
      this.tenantJobs.add(job.tenantId, job);
    }
    this.jobs.set(job.id, job);
  }

  /** Ids of the tenant's jobs newest first, strictly after `below` in that order, while createdAt >= `from`. */
  tenantJobsNewestFirst(
    tenantId: string,
    below: JobKey | null,
    from: number | undefined,
    visit: (job: Job) => boolean,
  ): void {
    this.tenantJobs.newestFirst(tenantId, below, from, (id) => visit(this.jobs.get(id)!));
  }

  /** Removes the job with its tasks and events from every table and index; returns how many tasks and events went. */
  removeJob(job: Job): { tasks: number; events: number } {
    this.tenantJobs.remove(job.tenantId, job);
    const taskIds = this.jobTasks.get(job.id) ?? [];
    for (const id of taskIds) {
      this.tasks.delete(id);
      this.readySeq.delete(id);
    }
    this.jobTasks.delete(job.id);
    this.jobs.delete(job.id);
    if (job.idempotencyKey != null) {
      const key = idempotencyIndexKey(job.tenantId, job.idempotencyKey);
      if (this.idempotency.get(key) === job.id) this.idempotency.delete(key);
    }
    return { tasks: taskIds.length, events: this.log.removeJob(job.id) };
  }

  /** True while one of the job's events is not yet marked published. */
  hasUnpublishedEvents(jobId: string): boolean {
    return this.log.hasUnpublished(jobId);
  }

  /** Records events the store already owns (private copies) with fresh ids; returns the ids. */
  appendOwnedEvents(events: NewEvent[]): number[] {
    return events.map((e) => this.log.append((id) => ({ ...e, id })).id);
  }

  /** Records events with fresh ids; returns copies. */
  appendEvents(events: NewEvent[]): DalstonEvent[] {
    return events.map((e) => copy(this.log.append((id) => ({ ...copy(e), id }))));
  }

  /** The tenant's events with id > after in id order (only the job's with `jobId`), at most `limit`. */
  readEvents(tenantId: string, jobId: string | undefined, after: number, limit: number): DalstonEvent[] {
    return this.log.read(tenantId, jobId, after, limit);
  }

  unpublishedEvents(before: number, limit: number): DalstonEvent[] {
    return this.log.unpublishedUpTo(before, limit);
  }

  markPublished(ids: number[]): void {
    this.log.markPublished(ids);
  }

  /** Ready tasks in id order after `afterTaskId`; with `changedSince`, only those written ready since that mark. */
  readyTasks(limit: number, afterTaskId?: string, changedSince?: number): Task[] {
    const ready = [...this.tasks.values()].filter(
      (t) =>
        t.status === 'ready' &&
        (afterTaskId === undefined || compareText(t.id, afterTaskId) > 0) &&
        (changedSince === undefined || (this.readySeq.get(t.id) ?? 0) >= changedSince),
    );
    return ready
      .sort((a, b) => compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  expiredLeases(now: number, limit: number): Task[] {
    const expired = [...this.tasks.values()].filter(
      (t) => t.status === 'running' && t.leaseExpiresAt !== null && t.leaseExpiresAt < now,
    );
    return expired
      .sort((a, b) => a.leaseExpiresAt! - b.leaseExpiresAt! || compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  nonTerminalJobIds(tenantId: string): string[] {
    return [...this.jobs.values()]
      .filter((j) => j.tenantId === tenantId && !isTerminalJobStatus(j.status))
      .map((j) => j.id)
      .sort(compareText);
  }

  tenantsWithActiveJobs(): string[] {
    const tenants = new Set<string>();
    for (const job of this.jobs.values()) if (!isTerminalJobStatus(job.status)) tenants.add(job.tenantId);
    return [...tenants].sort(compareText);
  }

  jobsDueForPurge(now: number, limit: number, after?: PurgeCursor): Job[] {
    const isAfter = (j: Job) =>
      !after ||
      j.purgeAfter! > after.purgeAfter ||
      (j.purgeAfter === after.purgeAfter && compareText(j.id, after.id) > 0);
    const due = [...this.jobs.values()].filter(
      (j) =>
        isTerminalJobStatus(j.status) &&
        j.purgeAfter !== null &&
        j.purgeAfter <= now &&
        j.purgedAt === null &&
        isAfter(j),
    );
    return due
      .sort((a, b) => a.purgeAfter! - b.purgeAfter! || compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }
}
