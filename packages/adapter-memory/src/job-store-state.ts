/**
 * The tables of the memory JobStore (jobs, tasks, the event log, the idempotency index)
 * and the read-only queries over them. Everything here is synchronous, so each call is
 * atomic; MemoryJobStore adds serialisation, compare-and-set and copying at the edges.
 */
import type { DalstonEvent, Job, JobSnapshot, NewEvent, PurgeCursor, Task } from '@dalston/core';
import { isTerminalJobStatus } from '@dalston/core';
import { compareText, copy } from './store-guards.js';

interface LoggedEvent {
  event: DalstonEvent;
  published: boolean;
}

const idempotencyIndexKey = (tenantId: string, key: string) => `${tenantId}\u0000${key}`;

export class JobStoreState {
  readonly jobs = new Map<string, Job>();
  readonly tasks = new Map<string, Task>();
  /** Task ids of each job, in creation order. */
  readonly jobTasks = new Map<string, string[]>();
  private readonly idempotency = new Map<string, string>();
  /** Append-only (except deleteJob), ordered by id. */
  private log: LoggedEvent[] = [];
  private nextEventId = 1;
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
    if (job.idempotencyKey != null) {
      this.idempotency.set(idempotencyIndexKey(job.tenantId, job.idempotencyKey), job.id);
    }
    for (const task of tasks) this.putTask(task);
    this.jobTasks.set(
      job.id,
      tasks.map((t) => t.id),
    );
  }

  removeJob(job: Job): void {
    for (const id of this.jobTasks.get(job.id) ?? []) {
      this.tasks.delete(id);
      this.readySeq.delete(id);
    }
    this.jobTasks.delete(job.id);
    this.jobs.delete(job.id);
    if (job.idempotencyKey != null) {
      const key = idempotencyIndexKey(job.tenantId, job.idempotencyKey);
      if (this.idempotency.get(key) === job.id) this.idempotency.delete(key);
    }
    this.log = this.log.filter((e) => e.event.jobId !== job.id);
  }

  /** Records events with fresh ids; returns copies. */
  appendEvents(events: NewEvent[]): DalstonEvent[] {
    return events.map((e) => {
      const event: DalstonEvent = { ...copy(e), id: this.nextEventId++ };
      this.log.push({ event, published: false });
      return copy(event);
    });
  }

  /** Events with id > after, in id order, that pass the filter, at most `limit`. */
  eventsAfter(after: number, limit: number, keep: (e: LoggedEvent) => boolean): DalstonEvent[] {
    const out: DalstonEvent[] = [];
    for (let i = this.firstIndexAfter(after); i < this.log.length && out.length < limit; i++) {
      const entry = this.log[i]!;
      if (keep(entry)) out.push(copy(entry.event));
    }
    return out;
  }

  /** O(k log n): the log is ordered by id, so each id is found by binary search. */
  markPublished(ids: number[]): void {
    for (const id of ids) {
      const i = this.firstIndexAfter(id - 1);
      const entry = this.log[i];
      if (entry && entry.event.id === id) entry.published = true;
    }
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

  private firstIndexAfter(after: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid]!.event.id <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
