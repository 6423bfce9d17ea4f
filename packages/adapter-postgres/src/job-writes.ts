/**
 * The JobStore's transactional writes: createJob (idempotent per tenant key, safe under
 * concurrent submits), updateJob (row-locked read-decide-write with compare-and-set on
 * every write), deleteJob and appendEvents.
 */
import {
  type CreateJobInput,
  type CreateJobResult,
  DalstonError,
  type DalstonEvent,
  isEmptyChange,
  isTerminalJobStatus,
  type Job,
  type JobChange,
  type JobSnapshot,
  type NewEvent,
  type Task,
  toDalstonError,
  type UpdateJobResult,
} from '@dalston/core';
import { type Database, Rollback, type Tx } from './database.js';
import { invalid } from './errors.js';
import {
  eventValues,
  JOB_MUTABLE,
  jobColumns,
  jobMutableValues,
  param,
  rowToJob,
  rowToTask,
  TASK_MUTABLE,
  taskColumns,
  taskMutableValues,
} from './job-rows.js';
import { type Ctx, key, ms, text } from './values.js';

const placeholders = (rows: number, cols: number, cast: (col: number) => string = () => '') =>
  Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: cols }, (_, c) => `$${r * cols + c + 1}${cast(c)}`).join(', ')})`,
  ).join(', ');

/** Inserts events, returning them with their ids (ids follow the input order). */
export async function insertEvents(
  db: Database,
  tx: Tx,
  c: Ctx,
  events: NewEvent[],
): Promise<DalstonEvent[]> {
  if (events.length === 0) return [];
  const values = events.flatMap((e, i) => eventValues(c, `events.${i}`, e));
  const casts = ['', '', '', '', '', '::jsonb', '', '::timestamptz'];
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO ${db.t('events')} (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
     VALUES ${placeholders(events.length, 8, (i) => casts[i]!)} RETURNING id`,
    values,
  );
  const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  return events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! }));
}

async function loadTasks(db: Database, tx: Tx, jobId: string): Promise<Task[]> {
  const { rows } = await tx.query(
    `SELECT ${taskColumns(db.t('task_dependencies'))} FROM ${db.t('tasks')} t
     WHERE t.job_id = $1 ORDER BY t.position`,
    [jobId],
  );
  return rows.map(rowToTask);
}

export async function createJob(db: Database, input: CreateJobInput): Promise<CreateJobResult> {
  const c: Ctx = { store: 'jobStore', operation: 'createJob' };
  const { job, tasks, events } = input;
  const jobValues = [
    key(c, 'job.id', job.id),
    key(c, 'job.tenantId', job.tenantId),
    job.idempotencyKey === null ? null : key(c, 'job.idempotencyKey', job.idempotencyKey),
    ms(c, 'job.createdAt', job.createdAt),
    ...jobMutableValues(c, 'job', job),
  ];
  const taskRows = tasks.map((t, i) => taskInsertValues(c, job, t, i));
  const edges = tasks.flatMap((t, i) =>
    t.dependsOn.map((dep, p) => [t.id, p, job.id, key(c, `tasks.${i}.dependsOn.${p}`, dep)]),
  );
  return db.transaction('jobStore', 'createJob', async (tx) => {
    const cols = ['id', 'tenant_id', 'idempotency_key', 'created_at', ...JOB_MUTABLE];
    const onConflict =
      job.idempotencyKey === null ? '' : 'ON CONFLICT (tenant_id, idempotency_key) DO NOTHING';
    const inserted = await tx.query(
      `INSERT INTO ${db.t('jobs')} (${cols.join(', ')})
       VALUES (${cols.map((col, i) => param(i + 1, col, 'jobs')).join(', ')}) ${onConflict} RETURNING id`,
      jobValues,
    );
    if (inserted.rowCount === 0) {
      // The key is taken by a committed job (ON CONFLICT waited for its transaction).
      const { rows } = await tx.query(
        `SELECT ${jobColumns()} FROM ${db.t('jobs')} j WHERE j.tenant_id = $1 AND j.idempotency_key = $2`,
        [job.tenantId, job.idempotencyKey],
      );
      if (!rows[0]) throw new DalstonError('CONFLICT', 'jobStore.createJob: idempotency key race, retry', c);
      const existing = rowToJob(rows[0]);
      throw new Rollback<CreateJobResult>({
        created: false,
        snapshot: { job: existing, tasks: await loadTasks(db, tx, existing.id) },
      });
    }
    if (taskRows.length > 0) {
      const tcols = [
        'id',
        'job_id',
        'tenant_id',
        'position',
        'stage',
        'queue',
        'created_at',
        ...TASK_MUTABLE,
      ];
      await tx.query(
        `INSERT INTO ${db.t('tasks')} (${tcols.join(', ')})
         VALUES ${placeholders(taskRows.length, tcols.length, (i) => param(0, tcols[i]!, 'tasks').slice(2))}`,
        taskRows.flat(),
      );
    }
    if (edges.length > 0) {
      await tx.query(
        `INSERT INTO ${db.t('task_dependencies')} (task_id, position, job_id, depends_on)
         VALUES ${placeholders(edges.length, 4)}`,
        edges.flat(),
      );
    }
    const recorded = await insertEvents(db, tx, c, events);
    const snapshot: JobSnapshot = structuredClone({ job, tasks });
    return { created: true, snapshot, events: recorded };
  });
}

function taskInsertValues(c: Ctx, job: Job, t: Task, i: number): unknown[] {
  const f = `tasks.${i}`;
  if (t.jobId !== job.id) throw invalid(c.store, c.operation, `${f}.jobId`, 'must be the job id');
  if (t.tenantId !== job.tenantId)
    throw invalid(c.store, c.operation, `${f}.tenantId`, 'must be the job tenant');
  return [
    key(c, `${f}.id`, t.id),
    t.jobId,
    t.tenantId,
    i,
    key(c, `${f}.stage`, t.stage),
    text(c, `${f}.queue`, t.queue),
    ms(c, `${f}.createdAt`, t.createdAt),
    ...taskMutableValues(c, f, t),
  ];
}

/** SQL types of the mutable task columns (the VALUES list of updateJob's batched write). */
const TASK_TYPES: Record<(typeof TASK_MUTABLE)[number], string> = {
  required: 'boolean',
  status: 'text',
  attempt: 'integer',
  failures: 'integer',
  lost_leases: 'integer',
  max_attempts: 'integer',
  timeout_ms: 'bigint',
  backoff: 'jsonb',
  priority: 'integer',
  not_before: 'timestamptz',
  input: 'jsonb',
  output: 'jsonb',
  error: 'jsonb',
  lease_token: 'text',
  lease_expires_at: 'timestamptz',
  cancel_requested: 'boolean',
  started_at: 'timestamptz',
  finished_at: 'timestamptz',
  version: 'integer',
};

/**
 * Round trips: (1) `BEGIN; SELECT job FOR UPDATE; SELECT tasks` as one simple query — the
 * tasks statement takes its snapshot after the row lock is granted, so it sees every
 * update committed before; (2) one statement writing every changed task (compare-and-set
 * per row, `UPDATE … FROM (VALUES …)`), the job (compare-and-set on status and version)
 * and the events; (3) COMMIT, or ROLLBACK when a row count shows a lost race.
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
    const { rows } = await tx.query<{ tasks: number; jobs: number; ids: string[] }>(write.text, write.values);
    const r = rows[0]!;
    if (r.tasks !== change.tasks.length || r.jobs !== (change.job ? 1 : 0)) throw conflict;
    const ids = r.ids.map(Number).sort((a, b) => a - b);
    const events = change.events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! }));
    return { applied: true, snapshot: applyChange(before, change), events, change };
  });
}

/** One statement: CAS-update the tasks and the job, insert the events; returns the counts and event ids. */
function changeStatement(
  db: Database,
  c: Ctx,
  jobId: string,
  change: JobChange,
): { text: string; values: unknown[] } {
  const values: unknown[] = [jobId];
  const next = (v: unknown, type = '') => {
    values.push(v);
    return type ? `$${values.length}::${type}` : `$${values.length}`;
  };
  const ctes: string[] = [];
  if (change.tasks.length > 0) {
    const rows = change.tasks.map((w, i) => {
      const set = taskMutableValues(c, `change.tasks.${i}.next`, w.next);
      const cols = TASK_MUTABLE.map((col, k) => next(set[k], TASK_TYPES[col]));
      const { status, attempt, leaseToken } = w.expected;
      return `(${[next(w.next.id, 'text'), next(status, 'text'), next(attempt, 'integer'), next(leaseToken, 'text'), ...cols].join(', ')})`;
    });
    ctes.push(
      `w (id, exp_status, exp_attempt, exp_lease_token, ${TASK_MUTABLE.join(', ')}) AS (VALUES ${rows.join(', ')})`,
    );
    ctes.push(`t AS (UPDATE ${db.t('tasks')} x SET ${TASK_MUTABLE.map((col) => `${col} = w.${col}`).join(', ')}
       FROM w WHERE x.id = w.id AND x.job_id = $1 AND x.status = w.exp_status AND x.attempt = w.exp_attempt
         AND x.lease_token IS NOT DISTINCT FROM w.exp_lease_token
       RETURNING x.id)`);
  }
  if (change.job) {
    const set = jobMutableValues(c, 'change.job.next', change.job.next);
    const assignments = JOB_MUTABLE.map((col, k) => {
      values.push(set[k]);
      return `${col} = ${param(values.length, col, 'jobs')}`;
    });
    const { status, version } = change.job.expected;
    ctes.push(`j AS (UPDATE ${db.t('jobs')} SET ${assignments.join(', ')}
       WHERE id = $1 AND status = ${next(status)} AND version = ${next(version)} RETURNING id)`);
  }
  if (change.events.length > 0) {
    const casts = ['', '', '', '', '', 'jsonb', '', 'timestamptz'];
    const rows = change.events.map((e, i) => {
      const v = eventValues(c, `change.events.${i}`, e);
      return `(${v.map((x, k) => next(x, casts[k])).join(', ')})`;
    });
    ctes.push(`e AS (INSERT INTO ${db.t('events')} (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
       VALUES ${rows.join(', ')} RETURNING id)`);
  }
  const count = (name: string, present: boolean) => (present ? `(SELECT count(*)::int FROM ${name})` : '0');
  const text = `WITH ${ctes.join(',\n')}
    SELECT $1::text AS job_id, ${count('t', change.tasks.length > 0)} AS tasks, ${count('j', change.job != null)} AS jobs,
      ${change.events.length > 0 ? 'ARRAY(SELECT id::text FROM e)' : "'{}'::text[]"} AS ids`;
  return { text, values };
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

export async function appendEvents(db: Database, events: NewEvent[]): Promise<DalstonEvent[]> {
  const c: Ctx = { store: 'jobStore', operation: 'appendEvents' };
  events.forEach((e, i) => {
    if (e.jobId != null) {
      throw invalid(c.store, c.operation, `events.${i}.jobId`, 'job events go through createJob/updateJob');
    }
  });
  if (events.length === 0) return [];
  return db.transaction('jobStore', 'appendEvents', (tx) => insertEvents(db, tx, c, events));
}
