/**
 * The JobStore's transactional writes: updateJob (optimistic read-decide-apply with group
 * commit), deleteJob and appendEvents. createJob is in job-create.ts.
 *
 * updateJob, per call:
 * 1. Read the job, its tasks and its `rev` in one statement, without a lock. Concurrent
 *    calls (on any jobs) share one read: `WHERE id = ANY($1)`.
 * 2. Run `decide` on that snapshot.
 * 3. Apply with `dalston_apply` (migration 0003): it locks the job row and applies only if
 *    `rev` is still the one read, checking every compare-and-set before writing anything.
 *    Concurrent calls share one apply statement: one round trip, one transaction, one
 *    commit; each job is applied or refused on its own.
 * Step 1 is skipped when this store holds the job's state from its own last write (a small
 *    cache of the snapshot after each applied change or createJob, with its rev): `rev`
 *    tells at apply time whether that state is still the committed one, so a cached
 *    snapshot can only cost a 'stale' answer, never a decision on an older state.
 * A 'stale' answer (another writer committed in between) goes back to 1; after a few, the
 *    call takes the job's row lock first (read and apply inside one transaction), so a job
 *    under heavy contention still makes progress. 'conflict' means the change's own
 *    compare-and-set does not hold on the current state: nothing was written.
 */
import {
  DalstonError,
  type DalstonEvent,
  isEmptyChange,
  isTerminalJobStatus,
  type Job,
  type JobChange,
  type JobSnapshot,
  type NewEvent,
  toDalstonError,
  type UpdateJobResult,
} from '@dalston/core/adapter';
import { Batcher } from './batcher.js';
import { type Database, Rollback } from './database.js';
import { eventIds, eventsJson, insertEventsSql, jobWriteJson, taskWritesJson } from './job-json.js';
import { jobColumns, rowToJob, rowToTask, tasksJsonSql } from './job-rows.js';
import { copySnapshot } from './snapshot-copy.js';
import { type Ctx, canMatch } from './values.js';

/** Most jobs read or applied by one statement. */
const MAX_BATCH = 64;
/** Optimistic tries before updateJob takes the job's row lock first. */
const OPTIMISTIC_TRIES = 3;
/**
 * Jobs whose latest state this store keeps (least recently written dropped first; a few KB
 * each): a backlog of this many jobs submitted in this process is worked without a read.
 */
const CACHED_JOBS = 2048;

type Outcome = 'applied' | 'stale' | 'conflict' | 'not_found';
interface Applied {
  outcome: Outcome;
  ids: number[];
}
interface Read {
  snapshot: JobSnapshot;
  rev: number;
}
type Decided =
  | { done: UpdateJobResult }
  | { before: JobSnapshot; change: JobChange; item: { id: string; json: string } };

/** The job with its tasks and rev, as `row_to_json` rows (one snapshot for all of them). */
export const snapshotSql = (db: Database, where: string) =>
  `SELECT row_to_json(x) AS job,
          ${tasksJsonSql(db.t('tasks'), db.t('task_dependencies'), 'x.id')} AS tasks
   FROM (SELECT ${jobColumns()}, j.rev FROM ${db.t('jobs')} j WHERE ${where}) x`;

export const rowToRead = (row: Record<string, unknown>): Read => ({
  snapshot: {
    job: rowToJob(row.job as Record<string, unknown>),
    tasks: (row.tasks as Record<string, unknown>[]).map(rowToTask),
  },
  rev: Number((row.job as { rev: unknown }).rev),
});

export class JobWriter {
  private readonly reads: Batcher<string, Read | null>;
  private readonly applies: Batcher<{ id: string; json: string }, Applied>;
  /** jobId → the job's state after this store's last write to it, with its rev. */
  private readonly known = new Map<string, Read>();

  constructor(private readonly db: Database) {
    this.reads = new Batcher((ids) => this.readMany(ids), MAX_BATCH);
    this.applies = new Batcher((items) => this.applyMany(items), MAX_BATCH);
  }

  async updateJob(jobId: string, decide: (s: JobSnapshot) => JobChange | null): Promise<UpdateJobResult> {
    if (!canMatch(jobId)) return { applied: false, reason: 'not_found' };
    let refused = -1; // the rev of the state a try was refused on
    for (let i = 0; i < OPTIMISTIC_TRIES; i++) {
      // The state this store wrote last, unless a try was refused on it: a concurrent call of
      // this store (e.g. a sibling task's completion in the same batch) may have replaced it.
      const known = this.known.get(jobId);
      const cached = known && known.rev !== refused ? known : undefined;
      const read = cached ?? (await this.reads.submit(jobId));
      if (!read) return { applied: false, reason: 'not_found' };
      const d = decideOn(jobId, read, decide);
      if ('done' in d) {
        // Nothing to write on a cached state: decide again on the committed one, which may differ.
        if (cached && d.done.applied === false && d.done.reason !== 'conflict') {
          refused = this.forget(jobId, read.rev);
          continue;
        }
        return d.done;
      }
      const r = await this.applies.submit(d.item);
      if (r.outcome === 'stale') {
        refused = this.forget(jobId, read.rev);
        continue;
      }
      const out = result(r, d.before, d.change);
      if (out.applied) this.remember(out.snapshot, read.rev + 1);
      else this.known.delete(jobId);
      return out;
    }
    return this.updateLocked(jobId, decide);
  }

  /**
   * The job's state as this store last wrote or read it (a copy), else read now (and kept).
   * May lag other stores' writes; updateJob's rev check catches that at apply time.
   */
  async peek(jobId: string): Promise<JobSnapshot | null> {
    const known = this.known.get(jobId);
    if (known) return copySnapshot(known.snapshot);
    const read = await this.reads.submit(jobId);
    if (!read) return null;
    // A write of this store that committed while the read was out is newer: keep and give that.
    const newer = this.known.get(jobId);
    if (newer && newer.rev >= read.rev) return copySnapshot(newer.snapshot);
    this.remember(read.snapshot, read.rev);
    return read.snapshot;
  }

  /** Drops the job's known state if it is the one at `rev`; returns `rev`. */
  private forget(jobId: string, rev: number): number {
    if (this.known.get(jobId)?.rev === rev) this.known.delete(jobId);
    return rev;
  }

  /** Keeps `snapshot` (a copy) as the job's state at `rev`, written or read by this store. */
  remember(snapshot: JobSnapshot, rev: number): void {
    const id = snapshot.job.id;
    this.known.delete(id);
    if (isTerminalJobStatus(snapshot.job.status)) return;
    this.known.set(id, { snapshot: copySnapshot(snapshot), rev });
    if (this.known.size > CACHED_JOBS) this.known.delete(this.known.keys().next().value as string);
  }

  /** Read and apply inside one transaction holding the job's row lock: cannot be stale. */
  private updateLocked(jobId: string, decide: (s: JobSnapshot) => JobChange | null) {
    const db = this.db;
    return db.transaction('jobStore', 'updateJob', async (tx) => {
      // The lock first, then the read in a statement of its own: its snapshot is taken after
      // the lock was granted, so it sees every change committed before (a subquery of the
      // locking statement would read tasks from the snapshot taken before the wait).
      const lock = db.prepared('update_lock', () => `SELECT 1 FROM ${db.t('jobs')} WHERE id = $1 FOR UPDATE`);
      const read = db.prepared('update_locked_read', () => snapshotSql(db, 'j.id = $1'));
      if ((await tx.query({ ...lock, values: [jobId] })).rowCount === 0) {
        return { applied: false, reason: 'not_found' } as UpdateJobResult;
      }
      const { rows } = await tx.query({ ...read, values: [jobId] });
      const fresh = rowToRead(rows[0]);
      const d = decideOn(jobId, fresh, decide);
      if ('done' in d) throw new Rollback(d.done);
      const res = await tx.query({ ...this.applySql(), values: [`[${d.item.json}]`] });
      const r = toApplied(res.rows[0]);
      if (r.outcome !== 'applied') throw new Rollback(result(r, d.before, d.change));
      const out = result(r, d.before, d.change);
      if (out.applied) this.remember(out.snapshot, fresh.rev + 1);
      return out;
    });
  }

  private async readMany(ids: string[]): Promise<(Read | null)[]> {
    const db = this.db;
    const sql = db.prepared('update_read', () => snapshotSql(db, 'j.id = ANY($1::text[])'));
    const { rows } = await db.query('jobStore', 'updateJob', sql, [[...new Set(ids)]]);
    const byId = new Map(rows.map((row) => [(row.job as { id: string }).id, row]));
    // Each caller gets its own objects (decide's snapshot and the result are cloned anyway).
    return ids.map((id) => {
      const row = byId.get(id);
      return row ? rowToRead(row) : null;
    });
  }

  private applySql() {
    return this.db.prepared(
      'update_apply',
      () => `SELECT o_ix, o_outcome, o_events FROM ${this.db.t('dalston_apply')}($1::jsonb)`,
    );
  }

  /**
   * One statement for the batch; when it fails on data (a value the database refuses), the
   * jobs are applied one by one so that only the job at fault rejects.
   */
  private async applyMany(items: { id: string; json: string }[]): Promise<(Applied | Error)[]> {
    try {
      return await this.applyBatch(items);
    } catch (e) {
      const dataError = e instanceof DalstonError && e.code !== 'STORE_UNAVAILABLE';
      if (items.length === 1 || !dataError) throw e;
      const alone = await Promise.allSettled(items.map((item) => this.applyBatch([item])));
      return alone.map((r) => (r.status === 'fulfilled' ? r.value[0]! : toDalstonError(r.reason)));
    }
  }

  private async applyBatch(items: { id: string; json: string }[]): Promise<Applied[]> {
    const batch = `[${items.map((i) => i.json).join(',')}]`;
    const { rows } = await this.db.query('jobStore', 'updateJob', this.applySql(), [batch]);
    // Rows come in job id order, each naming its item by index.
    const out: Applied[] = new Array(items.length);
    for (const row of rows) out[row.o_ix as number] = toApplied(row);
    return out;
  }
}

const toApplied = (row: Record<string, unknown>): Applied => ({
  outcome: row.o_outcome as Outcome,
  ids: row.o_events ? eventIds(row.o_events) : [],
});

function decideOn(jobId: string, read: Read, decide: (s: JobSnapshot) => JobChange | null): Decided {
  const c: Ctx = { store: 'jobStore', operation: 'updateJob' };
  const before = read.snapshot;
  let change: JobChange | null;
  try {
    change = decide(copySnapshot(before));
  } catch (e) {
    throw toDalstonError(e);
  }
  if (change === null || isEmptyChange(change)) return { done: { applied: false, reason: 'no_change' } };
  // The change is the caller's; it is returned to it in the result (not copied: the cache keeps a copy).
  if (change.tasks.some((w) => w.next.jobId !== jobId) || (change.job && change.job.next.id !== jobId)) {
    return { done: { applied: false, reason: 'conflict' } };
  }
  const job = change.job ? jobWriteJson(c, change.job.expected, change.job.next) : 'null';
  const json = `{"id":${JSON.stringify(jobId)},"rev":${read.rev},"job":${job},"tasks":${taskWritesJson(
    c,
    change.tasks,
  )},"events":${eventsJson(c, 'change.events', change.events)}}`;
  return { before, change, item: { id: jobId, json } };
}

function result(r: Applied, before: JobSnapshot, change: JobChange): UpdateJobResult {
  if (r.outcome === 'not_found') return { applied: false, reason: 'not_found' };
  if (r.outcome !== 'applied') return { applied: false, reason: 'conflict' };
  const events = change.events.map((e, i) => ({ ...e, id: r.ids[i]! }));
  return { applied: true, snapshot: applyChange(before, change), events, change };
}

/**
 * The snapshot after `change`, keeping the columns updateJob never writes. It shares objects
 * with `before` and `change` (both the caller's or replaced in the cache by a copy).
 */
function applyChange(before: JobSnapshot, change: JobChange): JobSnapshot {
  const b = before.job;
  const job = change.job
    ? {
        ...change.job.next,
        tenantId: b.tenantId,
        idempotencyKey: b.idempotencyKey,
        createdAt: b.createdAt,
      }
    : b;
  const writes = new Map(change.tasks.map((w) => [w.next.id, w.next]));
  const tasks = before.tasks.map((t) => {
    const next = writes.get(t.id);
    if (!next) return t;
    const { id, jobId, tenantId, stage, queue, dependsOn, createdAt } = t;
    return { ...next, id, jobId, tenantId, stage, queue, dependsOn, createdAt };
  });
  return { job, tasks };
}

export async function deleteJob(db: Database, tenantId: string, jobId: string): Promise<boolean> {
  return db.transaction('jobStore', 'deleteJob', async (tx) => {
    const { rows } = await tx.query<{ status: Job['status'] }>(
      `SELECT status FROM ${db.t('jobs')} WHERE id = $1 AND tenant_id = $2 FOR UPDATE`,
      [jobId, tenantId],
    );
    const status = rows[0]?.status;
    if (status === undefined) return false;
    if (!isTerminalJobStatus(status)) {
      throw new DalstonError(
        'INVALID_TRANSITION',
        `job ${jobId} is ${status}; only a terminal job can be deleted`,
        { store: 'jobStore', operation: 'deleteJob' },
      );
    }
    // The outbox rows of its events first (they have no foreign key), then the job (cascades).
    await tx.query(
      `DELETE FROM ${db.t('outbox')} WHERE event_id IN
         (SELECT id FROM ${db.t('events')} WHERE tenant_id = $2 AND job_id = $1)`,
      [jobId, tenantId],
    );
    await tx.query(`DELETE FROM ${db.t('jobs')} WHERE id = $1`, [jobId]);
    return true;
  });
}

/** One statement (its own transaction, so all or nothing); ids follow the input order. */
export async function appendEvents(db: Database, events: NewEvent[]): Promise<DalstonEvent[]> {
  const c: Ctx = { store: 'jobStore', operation: 'appendEvents' };
  if (events.length === 0) return [];
  const sql = db.prepared(
    'append_events',
    () => `WITH ${insertEventsSql((n) => db.t(n), '$1::jsonb')} SELECT ARRAY(SELECT id FROM e) AS ids`,
  );
  const { rows } = await db.query('jobStore', 'appendEvents', sql, [eventsJson(c, 'events', events)]);
  const ids = eventIds(rows[0]!.ids);
  return events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! }));
}
