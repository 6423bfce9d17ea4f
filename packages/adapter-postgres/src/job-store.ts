/**
 * PostgresJobStore: jobs, tasks, DAG edges and the event log in PostgreSQL.
 *
 * - updateJob locks the job row (`SELECT … FOR UPDATE`), so updates to one job run one
 *   after the other; each task write is `UPDATE … WHERE status, attempt, lease_token`
 *   and the job write `… WHERE status, version`: any miss rolls back → `conflict`.
 * - exclusive() holds `pg_try_advisory_lock` on a dedicated pooled connection for the
 *   pass: when that connection dies, the lock ends with it.
 * - Reads are scoped by tenant; scans use partial indexes (see the migration).
 */
import type {
  ClaimScheduleTick,
  CreateJobInput,
  CreateJobResult,
  DalstonEvent,
  DeletedJobRows,
  ExclusiveOptions,
  FindReadyOptions,
  Job,
  JobChange,
  JobPage,
  JobSnapshot,
  JobStore,
  JobStoreCapabilities,
  ListJobsQuery,
  NewEvent,
  PurgeCursor,
  QueueControl,
  ReadEventsQuery,
  RowRetentionCursor,
  Schedule,
  ScheduleTick,
  SettleScheduleTick,
  Task,
  UpdateJobResult,
} from '@dalston/core/adapter';
import { Database } from './database.js';
import { invalid } from './errors.js';
import { JobCreator } from './job-create.js';
import { createJobs } from './job-create-bulk.js';
import { decodeJobCursor, encodeJobCursor } from './job-cursor.js';
import { eventsJson, insertEventsSql } from './job-json.js';
import { eventColumns, jobColumns, rowToEvent, rowToJob, rowToTask, taskColumns } from './job-rows.js';
import { appendEvents, deleteJob, JobWriter, rowToRead, snapshotSql } from './job-writes.js';
import type { PostgresAdapterOptions } from './options.js';
import { queueControls, setQueuePaused } from './queue-control.js';
import { deleteExpiredJobRows } from './row-retention.js';
import { PostgresSchedules } from './schedules.js';
import { type Ctx, canMatch, ms, text } from './values.js';

const ACTIVE = `('pending','running','cancelling')`;
const TERMINAL = `('completed','failed','cancelled')`;
const ctx = (operation: string): Ctx => ({ store: 'jobStore', operation });

export class PostgresJobStore implements JobStore {
  readonly capabilities: JobStoreCapabilities = { exclusiveEndsWithConnection: true };
  private readonly db: Database;
  private readonly writer: JobWriter;
  private readonly creator: JobCreator;
  private readonly schedules: PostgresSchedules;

  /** Takes adapter options, or a Database shared with sibling stores (then close() leaves it open). */
  constructor(
    options: PostgresAdapterOptions | Database,
    private readonly ownsDb = !(options instanceof Database),
  ) {
    this.db = options instanceof Database ? options.view() : new Database(options);
    this.writer = new JobWriter(this.db);
    this.creator = new JobCreator(this.db);
    this.schedules = new PostgresSchedules(this.db);
  }

  // Schedules: see PostgresSchedules.
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

  /** A named statement of this store (see Database.prepared). */
  private sql(key: string, build: () => string) {
    return this.db.prepared(key, build);
  }

  async createJob(input: CreateJobInput): Promise<CreateJobResult> {
    const result = await this.creator.createJob(input);
    if (result.created) this.writer.remember(result.snapshot, 0);
    return result;
  }

  /** All or none, in one statement (see job-create-bulk.ts). */
  async createJobs(inputs: CreateJobInput[]): Promise<CreateJobResult[]> {
    const results = await createJobs(this.db, inputs);
    for (const r of results) if (r.created) this.writer.remember(r.snapshot, 0);
    return results;
  }

  async getJob(tenantId: string, jobId: string): Promise<Job | null> {
    if (!canMatch(tenantId, jobId)) return null;
    const { rows } = await this.db.query(
      'jobStore',
      'getJob',
      this.sql(
        'get_job',
        () => `SELECT ${jobColumns()} FROM ${this.db.t('jobs')} j WHERE j.id = $1 AND j.tenant_id = $2`,
      ),
      [jobId, tenantId],
    );
    return rows[0] ? rowToJob(rows[0]) : null;
  }

  /** Uses the unique index of `jobs_tenant_idempotency_key (tenant_id, idempotency_key)`. */
  async getJobByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<Job | null> {
    if (!canMatch(tenantId, idempotencyKey)) return null;
    const { rows } = await this.db.query(
      'jobStore',
      'getJobByIdempotencyKey',
      `SELECT ${jobColumns()} FROM ${this.db.t('jobs')} j WHERE j.tenant_id = $1 AND j.idempotency_key = $2`,
      [tenantId, idempotencyKey],
    );
    return rows[0] ? rowToJob(rows[0]) : null;
  }

  async getSnapshot(tenantId: string | null, jobId: string): Promise<JobSnapshot | null> {
    if (!canMatch(tenantId, jobId)) return null;
    // One statement, so job and tasks come from one snapshot of the database.
    const { rows } = await this.db.query(
      'jobStore',
      'getSnapshot',
      this.sql('get_snapshot', () =>
        snapshotSql(this.db, 'j.id = $1 AND ($2::text IS NULL OR j.tenant_id = $2)'),
      ),
      [jobId, tenantId],
    );
    const row = rows[0];
    if (!row) return null;
    return rowToRead(row).snapshot;
  }

  /** This store's latest state of the job (its own last write or read), else a read: see JobStore. */
  async peekSnapshot(jobId: string): Promise<JobSnapshot | null> {
    if (!canMatch(jobId)) return null;
    return this.writer.peek(jobId);
  }

  updateJob(jobId: string, decide: (snapshot: JobSnapshot) => JobChange | null): Promise<UpdateJobResult> {
    return this.writer.updateJob(jobId, decide);
  }

  async extendLease(taskId: string, attempt: number, leaseToken: string, leaseExpiresAt: number) {
    const at = ms(ctx('extendLease'), 'leaseExpiresAt', leaseExpiresAt);
    // Locks the job, then the task (the order of every job write), and raises the job's rev.
    const res = await this.db.query<{ ok: boolean }>(
      'jobStore',
      'extendLease',
      this.sql(
        'extend_lease',
        () => `SELECT ${this.db.t('dalston_extend_lease')}($1, $2, $3, $4::timestamptz) AS ok`,
      ),
      [taskId, attempt, leaseToken, at],
    );
    return res.rows[0]!.ok === true;
  }

  appendEvents(events: NewEvent[]): Promise<DalstonEvent[]> {
    return appendEvents(this.db, events);
  }

  async listJobs(query: ListJobsQuery): Promise<JobPage> {
    const c = ctx('listJobs');
    const n = query.limit;
    const after = query.cursor == null ? null : decodeJobCursor(query.cursor);
    if (!canMatch(query.tenantId)) return { jobs: [], nextCursor: null };
    const where = ['j.tenant_id = $1'];
    const values: unknown[] = [query.tenantId];
    const add = (sql: (p: string) => string, v: unknown) => {
      values.push(v);
      where.push(sql(`$${values.length}`));
    };
    if (query.status && query.status.length > 0) add((p) => `j.status = ANY(${p}::text[])`, query.status);
    if (query.type && query.type.length > 0) add((p) => `j.type = ANY(${p}::text[])`, query.type);
    if (query.createdFrom !== undefined) {
      add((p) => `j.created_at >= ${p}::timestamptz`, ms(c, 'createdFrom', query.createdFrom));
    }
    if (query.createdTo !== undefined) {
      add((p) => `j.created_at < ${p}::timestamptz`, ms(c, 'createdTo', query.createdTo));
    }
    if (after) {
      values.push(ms(c, 'cursor', after.createdAt), after.id);
      where.push(`(j.created_at, j.id) < ($${values.length - 1}::timestamptz, $${values.length})`);
    }
    values.push(n + 1);
    const { rows } = await this.db.query(
      'jobStore',
      'listJobs',
      `SELECT ${jobColumns()} FROM ${this.db.t('jobs')} j WHERE ${where.join(' AND ')}
       ORDER BY j.created_at DESC, j.id DESC LIMIT $${values.length}`,
      values,
    );
    const jobs = rows.slice(0, n).map(rowToJob);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > n && last ? encodeJobCursor(last.createdAt, last.id) : null };
  }

  async readEvents(query: ReadEventsQuery): Promise<DalstonEvent[]> {
    const n = query.limit;
    const after = query.after ?? 0;
    const byJob = query.jobId !== undefined;
    if (!canMatch(query.tenantId, query.jobId)) return [];
    const { rows } = await this.db.query(
      'jobStore',
      'readEvents',
      `SELECT ${eventColumns()} FROM ${this.db.t('events')} e
       WHERE e.tenant_id = $1 AND e.id > $2 ${byJob ? 'AND e.job_id = $4' : ''}
       ORDER BY e.id LIMIT $3`,
      byJob ? [query.tenantId, after, n, query.jobId] : [query.tenantId, after, n],
    );
    return rows.map(rowToEvent);
  }

  async unpublishedEvents(before: number, max: number): Promise<DalstonEvent[]> {
    const c = ctx('unpublishedEvents');
    const { rows } = await this.db.query(
      'jobStore',
      'unpublishedEvents',
      this.sql(
        'unpublished_events',
        () => `SELECT ${eventColumns()} FROM ${this.db.t('outbox')} o JOIN ${this.db.t('events')} e ON e.id = o.event_id
         WHERE e.at <= $1::timestamptz ORDER BY o.event_id LIMIT $2`,
      ),
      [ms(c, 'before', before), max],
    );
    return rows.map(rowToEvent);
  }

  async markPublished(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      'jobStore',
      'markPublished',
      this.sql(
        'mark_published',
        () => `DELETE FROM ${this.db.t('outbox')} WHERE event_id = ANY($1::bigint[])`,
      ),
      [ids],
    );
  }

  async findReadyTasks(max: number, afterTaskId?: string, options: FindReadyOptions = {}): Promise<Task[]> {
    if (options.changedSince !== undefined)
      return this.findReadyChangedSince(max, afterTaskId, options.changedSince);
    const { rows } = await this.db.query(
      'jobStore',
      'findReadyTasks',
      this.sql(
        'find_ready',
        () => `SELECT ${taskColumns(this.db.t('task_dependencies'))} FROM ${this.db.t('tasks')} t
         WHERE t.status = 'ready' AND ($2::text IS NULL OR t.id > $2) ORDER BY t.id LIMIT $1`,
      ),
      [max, afterTaskId ?? null],
    );
    return rows.map(rowToTask);
  }

  /** The ready tasks whose ready_xid is at or after the mark (see migration 0002), in id order. */
  private async findReadyChangedSince(max: number, afterTaskId: string | undefined, mark: string) {
    const c = ctx('findReadyTasks');
    if (!/^[0-9]{1,20}$/.test(mark))
      throw invalid(c.store, c.operation, 'options.changedSince', 'must be a mark from readyMark()');
    const { rows } = await this.db.query(
      'jobStore',
      'findReadyTasks',
      this.sql(
        'find_ready_since',
        () => `SELECT ${taskColumns(this.db.t('task_dependencies'))} FROM ${this.db.t('tasks')} t
         WHERE t.status = 'ready' AND t.ready_xid >= $3::xid8 AND ($2::text IS NULL OR t.id > $2)
         ORDER BY t.id LIMIT $1`,
      ),
      [max, afterTaskId ?? null, mark],
    );
    return rows.map(rowToTask);
  }

  async readyMark(): Promise<string> {
    const { rows } = await this.db.query<{ mark: string }>(
      'jobStore',
      'readyMark',
      this.sql('ready_mark', () => 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS mark'),
    );
    return rows[0]!.mark;
  }

  async findExpiredLeases(now: number, max: number): Promise<Task[]> {
    const c = ctx('findExpiredLeases');
    const { rows } = await this.db.query(
      'jobStore',
      'findExpiredLeases',
      this.sql(
        'expired_leases',
        () => `SELECT ${taskColumns(this.db.t('task_dependencies'))} FROM ${this.db.t('tasks')} t
         WHERE t.status = 'running' AND t.lease_expires_at < $1::timestamptz
         ORDER BY t.lease_expires_at, t.id LIMIT $2`,
      ),
      [ms(c, 'now', now), max],
    );
    return rows.map(rowToTask);
  }

  async nonTerminalJobIds(tenantId: string): Promise<string[]> {
    if (!canMatch(tenantId)) return [];
    const { rows } = await this.db.query<{ id: string }>(
      'jobStore',
      'nonTerminalJobIds',
      `SELECT id FROM ${this.db.t('jobs')} WHERE tenant_id = $1 AND status IN ${ACTIVE} ORDER BY id`,
      [tenantId],
    );
    return rows.map((r) => r.id);
  }

  async tenantsWithActiveJobs(): Promise<string[]> {
    const { rows } = await this.db.query<{ tenant_id: string }>(
      'jobStore',
      'tenantsWithActiveJobs',
      `SELECT DISTINCT tenant_id FROM ${this.db.t('jobs')} WHERE status IN ${ACTIVE} ORDER BY tenant_id`,
    );
    return rows.map((r) => r.tenant_id);
  }

  async findJobsDueForPurge(now: number, max: number, after?: PurgeCursor): Promise<Job[]> {
    const c = ctx('findJobsDueForPurge');
    const { rows } = await this.db.query(
      'jobStore',
      'findJobsDueForPurge',
      `SELECT ${jobColumns()} FROM ${this.db.t('jobs')} j
       WHERE j.purged_at IS NULL AND j.purge_after IS NOT NULL AND j.status IN ${TERMINAL}
         AND j.purge_after <= $1::timestamptz
         AND ($3::timestamptz IS NULL OR (j.purge_after, j.id) > ($3::timestamptz, $4::text))
       ORDER BY j.purge_after, j.id LIMIT $2`,
      [
        ms(c, 'now', now),
        max,
        after ? ms(c, 'after.purgeAfter', after.purgeAfter) : null,
        after ? text(c, 'after.id', after.id) : null,
      ],
    );
    return rows.map(rowToJob);
  }

  /**
   * One statement: the purge mark and its events (with their outbox rows) commit together,
   * or neither is written. Raises `rev` like every job write (see migration 0003).
   */
  async markPurged(jobId: string, purgedAt: number, events: NewEvent[] = []): Promise<boolean> {
    const c = ctx('markPurged');
    const sql = this.sql(
      'mark_purged',
      () => `WITH p AS (UPDATE ${this.db.t('jobs')} SET purged_at = $2::timestamptz, version = version + 1, rev = rev + 1
         WHERE id = $1 AND status IN ${TERMINAL} AND purged_at IS NULL RETURNING id),
       ${insertEventsSql((n) => this.db.t(n), '$3::jsonb', 'WHERE EXISTS (SELECT 1 FROM p)')}
       SELECT (SELECT count(*) FROM p)::int AS purged`,
    );
    const values = [jobId, ms(c, 'purgedAt', purgedAt), eventsJson(c, 'events', events)];
    const res = await this.db.query<{ purged: number }>('jobStore', 'markPurged', sql, values);
    return res.rows[0]!.purged === 1;
  }

  deleteExpiredJobRows(
    finishedBefore: number,
    max: number,
    after?: RowRetentionCursor,
  ): Promise<DeletedJobRows> {
    return deleteExpiredJobRows(this.db, finishedBefore, max, after);
  }

  deleteJob(tenantId: string, jobId: string): Promise<boolean> {
    return deleteJob(this.db, tenantId, jobId);
  }

  async existingJobIds(jobIds: string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const { rows } = await this.db.query<{ id: string }>(
      'jobStore',
      'existingJobIds',
      `SELECT id FROM ${this.db.t('jobs')} WHERE id = ANY($1::text[])`,
      [jobIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  async exclusive<T>(
    name: string,
    _options: ExclusiveOptions,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const lockKey = `dalston.exclusive.${this.db.schemaName}.${name}`;
    let outcome: { ran: true; value: T } | { ran: false } = { ran: false };
    let fnError: { error: unknown } | null = null;
    // The advisory lock is session-level on this dedicated client: it ends with the connection.
    await this.db.withClient('jobStore', 'exclusive', async (client) => {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [lockKey],
      );
      if (!rows[0]?.ok) return;
      try {
        outcome = { ran: true, value: await fn() };
      } catch (e) {
        fnError = { error: e };
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]).catch(() => {});
      }
    });
    if (fnError) throw (fnError as { error: unknown }).error;
    return outcome;
  }

  setQueuePaused(queue: string, paused: boolean, at: number): Promise<QueueControl> {
    return setQueuePaused(this.db, queue, paused, at);
  }

  queueControls(): Promise<QueueControl[]> {
    return queueControls(this.db);
  }

  async ping(): Promise<void> {
    await this.db.ping('jobStore');
  }

  async close(): Promise<void> {
    await this.db.closeStore(this.ownsDb);
  }
}
