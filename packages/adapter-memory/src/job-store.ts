/**
 * MemoryJobStore: the JobStore in one process, behaving like the PostgreSQL adapter.
 * Updates to one job are serialised by a per-job async mutex; every write is a
 * compare-and-set applied all-or-nothing, like a transaction; everything returned is a
 * deep copy. Exclusivity is held per store instance and expires on the store's clock.
 */
import {
  type ClaimScheduleTick,
  type Clock,
  type CreateJobInput,
  type CreateJobResult,
  DalstonError,
  type DalstonEvent,
  type DeletedJobRows,
  type ExclusiveOptions,
  type FindReadyOptions,
  isEmptyChange,
  isTerminalJobStatus,
  type Job,
  type JobChange,
  type JobPage,
  type JobSnapshot,
  type JobStore,
  type JobStoreCapabilities,
  type ListJobsQuery,
  type NewEvent,
  type PurgeCursor,
  type QueueControl,
  type ReadEventsQuery,
  type RowRetentionCursor,
  type Schedule,
  type ScheduleTick,
  type SettleScheduleTick,
  systemClock,
  type Task,
  toDalstonError,
  type UpdateJobResult,
} from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { createJobs } from './job-create-bulk.js';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.js';
import { JobStoreState } from './job-store-state.js';
import { KeyedMutex } from './keyed-mutex.js';
import { QueueControlTable } from './queue-control.js';
import { deleteExpiredJobRows } from './row-retention.js';
import { MemorySchedules } from './schedules.js';
import { closedError, conflict, invalid } from './store-errors.js';
import { compareText } from './text-order.js';

export interface MemoryJobStoreOptions {
  /** The clock exclusivity TTLs run on. Default: the system clock. */
  clock?: Clock;
}

interface Hold {
  token: symbol;
  expiresAt: number;
}

export class MemoryJobStore implements JobStore {
  readonly capabilities: JobStoreCapabilities = { exclusiveEndsWithConnection: false };
  private readonly clock: Clock;
  private readonly state = new JobStoreState();
  private readonly mutex = new KeyedMutex();
  private readonly holds = new Map<string, Hold>();
  private readonly queueControl = new QueueControlTable();
  private closed = false;
  private readonly schedules = new MemorySchedules((operation) => this.guard(operation));

  constructor(options: MemoryJobStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  // Schedules: see MemorySchedules.
  upsertSchedule(schedule: Schedule): Promise<Schedule> {
    return this.schedules.upsertSchedule(schedule);
  }
  getSchedule(id: string): Promise<Schedule | null> {
    return this.schedules.getSchedule(id);
  }
  listSchedules(limit: number, afterId?: string): Promise<Schedule[]> {
    return this.schedules.listSchedules(limit, afterId);
  }
  setSchedulePaused(id: string, paused: boolean, nextTick: number | null, updatedAt: number) {
    return this.schedules.setSchedulePaused(id, paused, nextTick, updatedAt);
  }
  deleteSchedule(id: string): Promise<boolean> {
    return this.schedules.deleteSchedule(id);
  }
  dueSchedules(now: number, limit: number): Promise<Schedule[]> {
    return this.schedules.dueSchedules(now, limit);
  }
  claimScheduleTick(claim: ClaimScheduleTick): Promise<boolean> {
    return this.schedules.claimScheduleTick(claim);
  }
  settleScheduleTick(settle: SettleScheduleTick): Promise<boolean> {
    return this.schedules.settleScheduleTick(settle);
  }
  pendingScheduleTicks(limit: number): Promise<ScheduleTick[]> {
    return this.schedules.pendingScheduleTicks(limit);
  }
  listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]> {
    return this.schedules.listScheduleTicks(scheduleId, limit);
  }

  async createJob(input: CreateJobInput): Promise<CreateJobResult> {
    this.guard('createJob');
    const { job, tasks, events } = copy(input);
    if (job.idempotencyKey != null) {
      const existing = this.state.jobIdForKey(job.tenantId, job.idempotencyKey);
      if (existing !== undefined) return { created: false, snapshot: this.state.snapshot(existing)! };
    }
    if (this.state.jobs.has(job.id)) throw conflict('jobStore', 'createJob', `job ${job.id} already exists`);
    const taskIds = new Set<string>();
    for (const task of tasks) {
      if (this.state.tasks.has(task.id) || taskIds.has(task.id)) {
        throw conflict('jobStore', 'createJob', `task ${task.id} already exists`);
      }
      taskIds.add(task.id);
    }
    this.state.insertJob(job, tasks);
    const recorded = this.state.appendEvents(events);
    return { created: true, snapshot: this.state.snapshot(job.id)!, events: recorded };
  }

  /** All or none, synchronously (see job-create-bulk.ts). */
  async createJobs(inputs: CreateJobInput[]): Promise<CreateJobResult[]> {
    this.guard('createJobs');
    return createJobs(this.state, inputs);
  }

  async getJob(tenantId: string, jobId: string): Promise<Job | null> {
    this.guard('getJob');
    const job = this.state.jobs.get(jobId);
    return job && job.tenantId === tenantId ? copy(job) : null;
  }

  async getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<Job | null> {
    this.guard('getJobByIdempotencyKey');
    const jobId = this.state.jobIdForKey(tenantId, idempotencyKey);
    const job = jobId === undefined ? undefined : this.state.jobs.get(jobId);
    return job ? copy(job) : null;
  }

  async getSnapshot(tenantId: string | null, jobId: string): Promise<JobSnapshot | null> {
    this.guard('getSnapshot');
    const job = this.state.jobs.get(jobId);
    if (!job || (tenantId !== null && job.tenantId !== tenantId)) return null;
    return this.state.snapshot(jobId);
  }

  /** Always the current state: this store is the only one. */
  async peekSnapshot(jobId: string): Promise<JobSnapshot | null> {
    this.guard('peekSnapshot');
    return this.state.jobs.has(jobId) ? this.state.snapshot(jobId) : null;
  }

  async updateJob(
    jobId: string,
    decide: (snapshot: JobSnapshot) => JobChange | null,
  ): Promise<UpdateJobResult> {
    this.guard('updateJob');
    return this.mutex.run(jobId, async () => {
      this.guard('updateJob');
      const before = this.state.snapshot(jobId);
      if (!before) return { applied: false, reason: 'not_found' };
      let decided: JobChange | null;
      try {
        decided = decide(before);
      } catch (e) {
        throw toDalstonError(e);
      }
      // A round trip's worth of yielding: only the mutex keeps other updates out.
      await Promise.resolve();
      if (decided === null || isEmptyChange(decided)) return { applied: false, reason: 'no_change' };
      // Copies at the boundary, once each way: `change` is what the store keeps, `out` what
      // the caller gets back (the after-snapshot is `before`, itself a copy, with out's writes).
      const change = copy(decided);
      const staged = this.stageWrites(jobId, change);
      if (!staged) return { applied: false, reason: 'conflict' };
      if (staged.job) this.state.replaceJob(staged.job);
      for (const task of staged.tasks.values()) this.state.putTask(task);
      const ids = this.state.appendOwnedEvents(change.events);
      const out = copy(change);
      const events = out.events.map((e, i) => ({ ...e, id: ids[i]! }));
      return { applied: true, snapshot: afterSnapshot(before, out), events, change: out };
    });
  }

  async extendLease(
    taskId: string,
    attempt: number,
    leaseToken: string,
    leaseExpiresAt: number,
  ): Promise<boolean> {
    this.guard('extendLease');
    const task = this.state.tasks.get(taskId);
    if (task?.status !== 'running' || task.attempt !== attempt || task.leaseToken !== leaseToken) {
      return false;
    }
    task.leaseExpiresAt = leaseExpiresAt;
    return true;
  }

  async appendEvents(events: NewEvent[]): Promise<DalstonEvent[]> {
    this.guard('appendEvents');
    return this.state.appendEvents(events);
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    this.guard('listJobs');
    const after = query.cursor == null ? null : decodeJobCursor(query.cursor);
    const statuses = query.status && query.status.length > 0 ? new Set(query.status) : null;
    const types = query.type && query.type.length > 0 ? new Set(query.type) : null;
    const to = query.createdTo;
    // Jobs created at or after createdTo sort above every key (to, id): start below the smallest.
    const upper = to === undefined ? null : { createdAt: to, id: '' };
    const below = after === null ? upper : upper === null || newestFirst(after, upper) > 0 ? after : upper;
    const matches: Job[] = [];
    this.state.tenantJobsNewestFirst(query.tenantId, below, query.createdFrom, (j) => {
      if (
        (statuses === null || statuses.has(j.status)) &&
        (types === null || types.has(j.type)) &&
        (to === undefined || j.createdAt < to)
      )
        matches.push(j);
      return matches.length <= query.limit;
    });
    const page = matches.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor = matches.length > query.limit && last ? encodeJobCursor(last.createdAt, last.id) : null;
    return { jobs: page.map(copy), nextCursor };
  }

  async readEvents(query: ReadEventsQuery): Promise<DalstonEvent[]> {
    this.guard('readEvents');
    return this.state.readEvents(query.tenantId, query.jobId, query.after ?? 0, query.limit);
  }

  async unpublishedEvents(before: number, limit: number): Promise<DalstonEvent[]> {
    this.guard('unpublishedEvents');
    return this.state.unpublishedEvents(before, limit);
  }

  async markPublished(ids: number[]): Promise<void> {
    this.guard('markPublished');
    this.state.markPublished(ids);
  }

  async findReadyTasks(limit: number, afterTaskId?: string, options: FindReadyOptions = {}): Promise<Task[]> {
    this.guard('findReadyTasks');
    const since = options.changedSince;
    if (since !== undefined && !/^[0-9]{1,15}$/.test(since)) {
      throw invalid('jobStore', 'findReadyTasks', 'options.changedSince', 'must be a mark from readyMark()');
    }
    return this.state.readyTasks(limit, afterTaskId, since === undefined ? undefined : Number(since));
  }

  async readyMark(): Promise<string> {
    this.guard('readyMark');
    return String(this.state.readyMark());
  }

  async findExpiredLeases(now: number, limit: number): Promise<Task[]> {
    this.guard('findExpiredLeases');
    return this.state.expiredLeases(now, limit);
  }

  async nonTerminalJobIds(tenantId: string): Promise<string[]> {
    this.guard('nonTerminalJobIds');
    return this.state.nonTerminalJobIds(tenantId);
  }

  async tenantsWithActiveJobs(): Promise<string[]> {
    this.guard('tenantsWithActiveJobs');
    return this.state.tenantsWithActiveJobs();
  }

  async findJobsDueForPurge(now: number, limit: number, after?: PurgeCursor): Promise<Job[]> {
    this.guard('findJobsDueForPurge');
    return this.state.jobsDueForPurge(now, limit, after);
  }

  async markPurged(jobId: string, purgedAt: number, events: NewEvent[] = []): Promise<boolean> {
    this.guard('markPurged');
    return this.mutex.run(jobId, async () => {
      const job = this.state.jobs.get(jobId);
      if (!job || !isTerminalJobStatus(job.status) || job.purgedAt !== null) return false;
      this.state.replaceJob({ ...job, purgedAt, version: job.version + 1 });
      this.state.appendEvents(events);
      return true;
    });
  }

  async deleteJob(tenantId: string, jobId: string): Promise<boolean> {
    this.guard('deleteJob');
    return this.mutex.run(jobId, async () => {
      const job = this.state.jobs.get(jobId);
      if (!job || job.tenantId !== tenantId) return false;
      if (!isTerminalJobStatus(job.status)) {
        throw new DalstonError(
          'INVALID_TRANSITION',
          `job ${jobId} is ${job.status}; only a terminal job can be deleted`,
          {
            store: 'jobStore',
            operation: 'deleteJob',
          },
        );
      }
      this.state.removeJob(job);
      return true;
    });
  }

  async deleteExpiredJobRows(
    finishedBefore: number,
    limit: number,
    after?: RowRetentionCursor,
  ): Promise<DeletedJobRows> {
    this.guard('deleteExpiredJobRows');
    return deleteExpiredJobRows(this.state, (id) => this.mutex.held(id), finishedBefore, limit, after);
  }

  async existingJobIds(jobIds: string[]): Promise<Set<string>> {
    this.guard('existingJobIds');
    return new Set(jobIds.filter((id) => this.state.jobs.has(id)));
  }

  async exclusive<T>(
    name: string,
    options: ExclusiveOptions,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    this.guard('exclusive');
    const now = this.clock.now();
    const held = this.holds.get(name);
    if (held && held.expiresAt > now) return { ran: false };
    const token = Symbol(name);
    this.holds.set(name, { token, expiresAt: now + options.ttlMs });
    try {
      return { ran: true, value: await fn() };
    } finally {
      // Release only our own hold: after our TTL ran out another holder may own the name.
      if (this.holds.get(name)?.token === token) this.holds.delete(name);
    }
  }

  async setQueuePaused(queue: string, paused: boolean, at: number): Promise<QueueControl> {
    this.guard('setQueuePaused');
    return this.queueControl.set(queue, paused, at);
  }

  async queueControls(): Promise<QueueControl[]> {
    this.guard('queueControls');
    return this.queueControl.list();
  }

  async ping(): Promise<void> {
    this.guard('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Checks every write against the stored prior state; null when any compare-and-set misses. */
  private stageWrites(
    jobId: string,
    change: JobChange,
  ): { job: Job | null; tasks: Map<string, Task> } | null {
    let job: Job | null = null;
    if (change.job) {
      const current = this.state.jobs.get(jobId)!;
      const { expected, next } = change.job;
      if (next.id !== jobId || current.status !== expected.status || current.version !== expected.version) {
        return null;
      }
      job = next;
    }
    const tasks = new Map<string, Task>();
    for (const { expected, next } of change.tasks) {
      const current = tasks.get(next.id) ?? this.state.tasks.get(next.id);
      if (!current || current.jobId !== jobId || next.jobId !== jobId) return null;
      if (
        current.status !== expected.status ||
        current.attempt !== expected.attempt ||
        current.leaseToken !== expected.leaseToken
      ) {
        return null;
      }
      tasks.set(next.id, next);
    }
    return { job, tasks };
  }

  private guard(operation: string): void {
    if (this.closed) throw closedError('jobStore', operation);
  }
}

/** The snapshot after `change` applied to `before` (both the caller's own copies). */
function afterSnapshot(before: JobSnapshot, change: JobChange): JobSnapshot {
  const written = new Map(change.tasks.map((w) => [w.next.id, w.next]));
  return {
    job: change.job ? change.job.next : before.job,
    tasks: before.tasks.map((t) => written.get(t.id) ?? t),
  };
}

/** Sort order of listJobs: createdAt desc, then id desc. Positive when `a` comes after `b`. */
function newestFirst(a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number {
  return b.createdAt - a.createdAt || compareText(b.id, a.id);
}
