/**
 * The JobStore's transactional writes: updateJob (row-locked read-decide-write with
 * compare-and-set on every write), deleteJob and appendEvents. createJob is in job-create.ts.
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
} from '@dalston/core';
import type pg from 'pg';
import { Committed, type Database, Rollback, type Tx } from './database.js';
import { invalid } from './errors.js';
import {
  castOf,
  eventValues,
  JOB_MUTABLE,
  jobColumns,
  jobMutableValues,
  rowToJob,
  rowToTask,
  TASK_MUTABLE,
  TASK_TYPES,
  taskColumns,
  taskMutableValues,
} from './job-rows.js';
import type { Ctx } from './values.js';

/**
 * Round trips: (1) `BEGIN; SELECT job FOR UPDATE; SELECT tasks` as one simple query — the
 * tasks statement takes its snapshot after the row lock is granted, so it sees every
 * update committed before; (2) `<write>; COMMIT` as one simple query, where the write is one
 * statement updating every changed task (compare-and-set per row, `UPDATE … FROM (VALUES …)`),
 * the job (compare-and-set on status and version) and inserting the events. The write fails
 * itself when a row count shows a lost race (see `CAS_MISSED`), so the COMMIT after it never
 * runs and the transaction is rolled back → `conflict`. The job's row lock is held for one
 * round trip. The simple protocol takes no parameters: values are inlined as literals.
 */
export async function updateJob(
  db: Database,
  jobId: string,
  decide: (snapshot: JobSnapshot) => JobChange | null,
): Promise<UpdateJobResult> {
  const c: Ctx = { store: 'jobStore', operation: 'updateJob' };
  const opening = (tx: Tx) => {
    const id = tx.escapeLiteral(jobId);
    return [
      `SELECT ${jobColumns()} FROM ${db.t('jobs')} j WHERE j.id = ${id} FOR UPDATE`,
      `SELECT ${taskColumns(db.t('task_dependencies'))} FROM ${db.t('tasks')} t
       WHERE t.job_id = ${id} ORDER BY t.position`,
    ];
  };
  return db.transactionAfter('jobStore', 'updateJob', opening, async (tx, [found, tasks]) => {
    if (!found?.rows[0]) throw new Rollback<UpdateJobResult>({ applied: false, reason: 'not_found' });
    const before: JobSnapshot = { job: rowToJob(found.rows[0]), tasks: tasks!.rows.map(rowToTask) };
    let change: JobChange | null;
    try {
      change = decide(structuredClone(before));
    } catch (e) {
      throw toDalstonError(e);
    }
    if (change === null || isEmptyChange(change)) {
      throw new Rollback<UpdateJobResult>({ applied: false, reason: 'no_change' });
    }
    change = structuredClone(change);
    const conflict = new Rollback<UpdateJobResult>({ applied: false, reason: 'conflict' });
    if (change.tasks.some((w) => w.next.jobId !== jobId)) throw conflict;
    if (change.job && change.job.next.id !== jobId) throw conflict;
    const write = changeStatement(db, c, jobId, change);
    let results: pg.QueryResult[];
    try {
      results = (await tx.query(`${write};\nCOMMIT`)) as unknown as pg.QueryResult[];
    } catch (e) {
      if (isCasMiss(e)) throw conflict;
      throw e;
    }
    const r = results[0]!.rows[0] as { ids: string[] };
    const ids = r.ids.map(Number).sort((a, b) => a - b);
    const events = change.events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! }));
    return new Committed({ applied: true, snapshot: applyChange(before, change), events, change });
  });
}

/** Marker in the error the write raises when a compare-and-set missed (see changeStatement). */
const CAS_MISSED = 'dalston: compare-and-set missed';

const isCasMiss = (e: unknown): boolean =>
  (e as { code?: unknown } | null)?.code === '22P02' && e instanceof Error && e.message.includes(CAS_MISSED);

/** `value` as a SQL literal (values were checked by job-rows: strings, integers, booleans, null). */
function literal(v: unknown): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string') return quoteLiteral(v);
  throw new DalstonError('INTERNAL', `jobStore.updateJob: cannot inline a ${typeof v} value`);
}

/**
 * A string as a SQL literal, exactly as pg's `escapeLiteral` writes it (quotes doubled; with
 * a backslash, an `E''` literal with backslashes doubled, so the result does not depend on
 * `standard_conforming_strings`), but with native replaces instead of a per-character loop:
 * JSON columns make these strings long. NUL never gets here (refused by job-rows' checks).
 */
export function quoteLiteral(s: string): string {
  const quoted = s.includes("'") ? s.replaceAll("'", "''") : s;
  return s.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/**
 * One statement: CAS-update the tasks and the job, insert the events; returns the event ids.
 * When a row count differs from the change's (a compare-and-set missed), the statement fails
 * with an error carrying CAS_MISSED: a cast of a non-constant text to integer, evaluated only
 * in that case (the CASE is lazy and the text depends on the counts, so it is not folded).
 */
function changeStatement(db: Database, c: Ctx, jobId: string, change: JobChange): string {
  const lit = (v: unknown, type = '') => (type ? `${literal(v)}::${type}` : literal(v));
  const id = lit(jobId);
  const ctes: string[] = [];
  if (change.tasks.length > 0) {
    const rows = change.tasks.map((w, i) => {
      const set = taskMutableValues(c, `change.tasks.${i}.next`, w.next);
      const cols = TASK_MUTABLE.map((col, k) => lit(set[k], TASK_TYPES[col]));
      const { status, attempt, leaseToken } = w.expected;
      return `(${[lit(w.next.id, 'text'), lit(status, 'text'), lit(attempt, 'integer'), lit(leaseToken, 'text'), ...cols].join(', ')})`;
    });
    ctes.push(
      `w (id, exp_status, exp_attempt, exp_lease_token, ${TASK_MUTABLE.join(', ')}) AS (VALUES ${rows.join(', ')})`,
    );
    ctes.push(`t AS (UPDATE ${db.t('tasks')} x SET ${TASK_MUTABLE.map((col) => `${col} = w.${col}`).join(', ')}
       FROM w WHERE x.id = w.id AND x.job_id = ${id} AND x.status = w.exp_status AND x.attempt = w.exp_attempt
         AND x.lease_token IS NOT DISTINCT FROM w.exp_lease_token
       RETURNING x.id)`);
  }
  if (change.job) {
    const set = jobMutableValues(c, 'change.job.next', change.job.next);
    const assignments = JOB_MUTABLE.map((col, k) => `${col} = ${lit(set[k], castOf(col, 'jobs'))}`);
    const { status, version } = change.job.expected;
    ctes.push(`j AS (UPDATE ${db.t('jobs')} SET ${assignments.join(', ')}
       WHERE id = ${id} AND status = ${lit(status)} AND version = ${lit(version)} RETURNING id)`);
  }
  if (change.events.length > 0) {
    const casts = ['', '', '', '', '', 'jsonb', '', 'timestamptz'];
    const rows = change.events.map((e, i) => {
      const v = eventValues(c, `change.events.${i}`, e);
      return `(${v.map((x, k) => lit(x, casts[k])).join(', ')})`;
    });
    ctes.push(`e AS (INSERT INTO ${db.t('events')} (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
       VALUES ${rows.join(', ')} RETURNING id)`);
  }
  const count = (name: string, present: boolean) => (present ? `(SELECT count(*)::int FROM ${name})` : '0');
  const tasks = count('t', change.tasks.length > 0);
  const jobs = count('j', change.job != null);
  const ok = `${tasks} = ${change.tasks.length} AND ${jobs} = ${change.job ? 1 : 0}`;
  const ids = change.events.length > 0 ? 'ARRAY(SELECT id::text FROM e)' : "'{}'::text[]";
  return `WITH ${ctes.join(',\n')}
    SELECT CASE WHEN ${ok} THEN ${ids}
      ELSE ARRAY[('${CAS_MISSED}: tasks ' || ${tasks} || ', jobs ' || ${jobs})::int::text] END AS ids`;
}

/** The snapshot after `change`, keeping the columns updateJob never writes. */
function applyChange(before: JobSnapshot, change: JobChange): JobSnapshot {
  const b = before.job;
  const job = change.job
    ? {
        ...structuredClone(change.job.next),
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
    return { ...structuredClone(next), id, jobId, tenantId, stage, queue, dependsOn, createdAt };
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
    await tx.query(`DELETE FROM ${db.t('jobs')} WHERE id = $1`, [jobId]);
    return true;
  });
}

/** One INSERT (its own transaction, so all or nothing); ids follow the input order. */
export async function appendEvents(db: Database, events: NewEvent[]): Promise<DalstonEvent[]> {
  const c: Ctx = { store: 'jobStore', operation: 'appendEvents' };
  events.forEach((e, i) => {
    if (e.jobId != null) {
      throw invalid(c.store, c.operation, `events.${i}.jobId`, 'job events go through createJob/updateJob');
    }
  });
  if (events.length === 0) return [];
  const values = events.flatMap((e, i) => eventValues(c, `events.${i}`, e));
  const casts = ['', '', '', '', '', '::jsonb', '', '::timestamptz'];
  const rows = events.map((_, r) => `(${casts.map((cast, k) => `$${r * 8 + k + 1}${cast}`).join(', ')})`);
  const { rows: inserted } = await db.query<{ id: string }>(
    'jobStore',
    'appendEvents',
    `INSERT INTO ${db.t('events')} (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
     VALUES ${rows.join(', ')} RETURNING id`,
    values,
  );
  const ids = inserted.map((r) => Number(r.id)).sort((a, b) => a - b);
  return events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! }));
}
