/**
 * JobStore: the source of truth for jobs, tasks, their edges and the event log
 * (PostgreSQL in production). It persists what core decided; it decides nothing.
 *
 * Concurrency model: `updateJob` serialises updates to one job (a row lock, a mutex)
 * and runs core's pure `decide` callback on a fresh snapshot inside that critical
 * section; every write it then makes is also a compare-and-set on the prior
 * `(status, attempt, leaseToken)` of tasks and `(status, version)` of the job, so a lost
 * race reports "not applied" and never overwrites.
 *
 * Deliberately left out: DAG rules, retries, time arithmetic, id generation (core's),
 * and work queues (WorkQueue's).
 *
 * Errors: every method rejects with a DalstonError. Infrastructure failures are
 * `STORE_UNAVAILABLE` with `store: 'jobStore'` and the method name as `operation`.
 * Times are epoch milliseconds.
 *
 * Text no store can keep (NUL, lone UTF-16 surrogates; the same rule holds for TenantStore,
 * ApiKeyStore and SessionArchive): a lookup by such an id or key is a miss (null, empty),
 * a write holding one rejects with VALIDATION_FAILED and writes nothing.
 */
import type { JobChange, JobSnapshot } from '../domain/change.js';
import type { DalstonEvent, NewEvent } from '../domain/events.js';
import type { Job, JobStatus } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStoreSchedules } from './job-store.schedules.js';
import type { JobStoreBulk } from './job-store-bulk.js';
import type { PortLifecycle } from './lifecycle.js';
import type { QueueControlStore } from './queue-control.js';

export type { JobChange, JobSnapshot, JobWrite, TaskWrite } from '../domain/change.js';
export type * from './job-store.schedules.js';

export type UpdateJobResult =
  | { applied: true; snapshot: JobSnapshot; events: DalstonEvent[]; change: JobChange }
  | { applied: false; reason: 'not_found' | 'no_change' | 'conflict' };

export interface CreateJobInput {
  job: Job;
  tasks: Task[];
  events: NewEvent[];
}

export type CreateJobResult =
  | { created: true; snapshot: JobSnapshot; events: DalstonEvent[] }
  /** The tenant already has a job with this idempotency key: that job, unchanged. */
  | { created: false; snapshot: JobSnapshot };

export interface ListJobsQuery {
  tenantId: string;
  status?: JobStatus[];
  /** Only jobs of these types (`Job.type`); absent or empty = every type. */
  type?: string[];
  /** Inclusive lower bound on createdAt. */
  createdFrom?: number;
  /** Exclusive upper bound on createdAt. */
  createdTo?: number;
  /** 1..1000. */
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | null;
}

export interface JobPage {
  /** Newest first (createdAt desc, then id desc). */
  jobs: Job[];
  /** Cursor for the next page, null at the end. */
  nextCursor: string | null;
}

export interface ReadEventsQuery {
  tenantId: string;
  /** Only this job's events; omit for the whole tenant. */
  jobId?: string;
  /** Only events with id > after. */
  after?: number;
  /** 1..1000. */
  limit: number;
}

/** A position in `findJobsDueForPurge` order (purgeAfter, then id): the last job of a page. */
export interface PurgeCursor {
  purgeAfter: number;
  id: string;
}

/** A position in `deleteExpiredJobRows` order (finishedAt, then id): the last job a call deleted. */
export interface RowRetentionCursor {
  finishedAt: number;
  id: string;
}

/** What one `deleteExpiredJobRows` call deleted. */
export interface DeletedJobRows {
  /** Jobs deleted, each with its tasks, DAG edges and events. */
  jobs: number;
  tasks: number;
  events: number;
  /** The last job deleted in (finishedAt, id) order, or null when none was. */
  last: RowRetentionCursor | null;
}

export interface FindReadyOptions {
  /**
   * Only tasks made ready (or re-written while ready) by a change that was not yet
   * committed when `readyMark()` returned this mark. May also return some tasks changed a
   * little earlier (never fewer).
   */
  changedSince?: string;
}

export interface ExclusiveOptions {
  /** How long a crashed holder keeps exclusivity before it ends by itself. */
  ttlMs: number;
}

export interface JobStoreCapabilities {
  /** True when a holder's exclusivity ends when its connection dies (advisory locks), not only by TTL. */
  exclusiveEndsWithConnection: boolean;
}

/**
 * `ping()` and `close()`: see {@link PortLifecycle}; `createJobs`: see {@link JobStoreBulk}; the
 * schedule methods: see {@link JobStoreSchedules}; the queue pause switches: see
 * {@link QueueControlStore} (ports/queue-control.ts).
 */
export interface JobStore extends PortLifecycle, JobStoreBulk, JobStoreSchedules, QueueControlStore {
  readonly capabilities: JobStoreCapabilities;

  /**
   * Creates the job, its tasks (edges are `task.dependsOn`) and the events atomically.
   * Idempotent per `(tenantId, idempotencyKey)`: when the key is taken, nothing is written
   * and the existing job is returned with `created: false` (also under concurrent calls).
   * Rejects with CONFLICT when the job id already exists. When the connection is lost
   * after the write was sent (it may have committed), rejects with STORE_UNAVAILABLE marked
   * `withOutcomeUnknown` (`details.outcomeUnknown`); a write known not to have been applied
   * (the store refused the connection) is not marked.
   */
  createJob(input: CreateJobInput): Promise<CreateJobResult>;

  /** The job of this tenant, or null (another tenant's job is null too). */
  getJob(tenantId: string, jobId: string): Promise<Job | null>;

  /**
   * The tenant's job created with this idempotency key (its current state), or null when
   * the tenant has none; another tenant's job with the same key is null too. Read-only:
   * takes no lock and writes nothing, so it is safe to call any number of times. A job
   * being created concurrently is seen once its `createJob` has committed. Rejects with
   * STORE_UNAVAILABLE (operation `getJobByIdempotencyKey`) when the store is unreachable.
   * Core calls it only when a submit is refused admission, so a retried idempotent submit
   * gets its job back instead of RATE_LIMITED.
   */
  getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<Job | null>;

  /** The job with its tasks, or null. `tenantId` null = any tenant (internal use by workers and maintenance). */
  getSnapshot(tenantId: string | null, jobId: string): Promise<JobSnapshot | null>;

  /**
   * The job with its tasks as this store last wrote or read it, else as `getSnapshot(null,
   * jobId)` reads it; null for an unknown job. It may lag writes made through other store
   * instances (other processes), never this instance's own committed writes. Only for
   * decisions that an `updateJob` compare-and-set confirms afterwards (the worker's
   * folded-start preview): `updateJob` still decides on the committed state. Optional: core
   * calls `getSnapshot` when a store does not offer it.
   */
  peekSnapshot?(jobId: string): Promise<JobSnapshot | null>;

  /**
   * Serialised read-decide-write of one job. Runs `decide` (pure, synchronous, may run
   * more than once) on a snapshot taken inside the job's critical section; applies the
   * returned change atomically with compare-and-set, with its events, in one transaction.
   * `decide` returning null or an empty change → `{ applied: false, reason: 'no_change' }`.
   * Unknown job → `not_found`. A CAS miss → `conflict` and nothing is written.
   */
  updateJob(jobId: string, decide: (snapshot: JobSnapshot) => JobChange | null): Promise<UpdateJobResult>;

  /**
   * Extends a running task's lease: sets leaseExpiresAt when the task is still
   * `running` with this attempt and token. Returns false otherwise. Not serialised with
   * updateJob beyond the CAS (it touches only leaseExpiresAt).
   */
  extendLease(taskId: string, attempt: number, leaseToken: string, leaseExpiresAt: number): Promise<boolean>;

  /**
   * Appends events that belong to no job update (session events) to the event log,
   * atomically, returning them with their ids. Events with a jobId must go through
   * createJob/updateJob instead (VALIDATION_FAILED otherwise).
   */
  appendEvents(events: NewEvent[]): Promise<DalstonEvent[]>;

  /** A page of a tenant's jobs, newest first, keyset-paginated. */
  listJobs(query: ListJobsQuery): Promise<JobPage>;

  /** Events in id order after the cursor. */
  readEvents(query: ReadEventsQuery): Promise<DalstonEvent[]>;

  /** Events not yet marked published whose `at` is at or before `before`, oldest first (outbox relay). */
  unpublishedEvents(before: number, limit: number): Promise<DalstonEvent[]>;

  /** Marks events published. Idempotent. */
  markPublished(ids: number[]): Promise<void>;

  /**
   * Tasks in `ready` state (any tenant) in id order, after the given task id cursor;
   * with `options.changedSince`, only those changed since that mark (see `readyMark`).
   * `limit` 1..1000. Read-only.
   */
  findReadyTasks(limit: number, afterTaskId?: string, options?: FindReadyOptions): Promise<Task[]>;

  /**
   * An opaque mark for `findReadyTasks(…, { changedSince: mark })`: every task that becomes
   * ready (or is re-written while ready) by a change not yet committed now is found by a
   * later query with this mark, so a reader that takes a mark before each scan and passes
   * the previous one never misses a task, whatever the commit order. Read-only; rejects
   * with STORE_UNAVAILABLE (operation `readyMark`).
   */
  readyMark(): Promise<string>;

  /** Tasks in `running` state whose leaseExpiresAt is before `now`. */
  findExpiredLeases(now: number, limit: number): Promise<Task[]>;

  /** Ids of the tenant's non-terminal jobs (for concurrency slot resync). */
  nonTerminalJobIds(tenantId: string): Promise<string[]>;

  /** Tenants that have at least one non-terminal job. */
  tenantsWithActiveJobs(): Promise<string[]>;

  /**
   * Terminal jobs with purgeAfter <= now and purgedAt null, ordered by (purgeAfter, id),
   * after `after` when given (keyset paging). `limit` 1..1000.
   */
  findJobsDueForPurge(now: number, limit: number, after?: PurgeCursor): Promise<Job[]>;

  /**
   * Sets purgedAt when the job is terminal and not yet purged, and records `events` (the
   * job's `job.purged`) in the same transaction. Returns false otherwise, writing nothing.
   * Idempotent in effect.
   */
  markPurged(jobId: string, purgedAt: number, events?: NewEvent[]): Promise<boolean>;

  /**
   * Row retention: deletes, in one transaction, up to `limit` jobs with their tasks, DAG
   * edges and events, taking them in (finishedAt, id) order after `after` (exclusive) when
   * given. A job qualifies when it is terminal, purged (`purgedAt` set: its objects are
   * gone), finished at or before `finishedBefore` (epoch ms, inclusive), and has no event
   * still unpublished (the outbox relay has not confirmed it). A job another writer holds
   * at that moment is skipped, to be found by a later call. All of a job's rows go, or none
   * do. `limit` 1..1000. Idempotent in effect; rejects with STORE_UNAVAILABLE (operation
   * `deleteExpiredJobRows`).
   */
  deleteExpiredJobRows(
    finishedBefore: number,
    limit: number,
    after?: RowRetentionCursor,
  ): Promise<DeletedJobRows>;

  /**
   * Deletes a terminal job with its tasks and events. Returns false when the job is
   * unknown to this tenant; rejects with INVALID_TRANSITION when it is not terminal.
   */
  deleteJob(tenantId: string, jobId: string): Promise<boolean>;

  /** Which of these job ids exist (any tenant). For the orphan sweep. */
  existingJobIds(jobIds: string[]): Promise<Set<string>>;

  /**
   * Runs `fn` only if no other holder (in any process) is running a pass with this name.
   * Returns `{ ran: false }` at once when it is held. A crashed holder's exclusivity ends
   * by itself after `ttlMs` at the latest.
   */
  exclusive<T>(
    name: string,
    options: ExclusiveOptions,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }>;

  /** Reachability probe; rejects with STORE_UNAVAILABLE when down. */
  ping(): Promise<void>;

  /** Releases what the store opened (not the host's pool). Idempotent. */
  close(): Promise<void>;
}
