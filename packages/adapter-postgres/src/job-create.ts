/**
 * JobStore.createJob in one round trip: a single statement (its own transaction) inserts
 * the job, its tasks, their DAG edges and the events with data-modifying CTEs. Every insert
 * after the job's is joined to the job's `RETURNING`, so when the idempotency key is taken
 * (`ON CONFLICT DO NOTHING`, which waits for a concurrent insert of the same key to end)
 * nothing at all is written, and the existing job is read back with a second statement.
 * Foreign keys between the rows of one statement are checked at its end, so edges may
 * reference tasks inserted by the same statement.
 */
import {
  type CreateJobInput,
  type CreateJobResult,
  DalstonError,
  type Job,
  type JobSnapshot,
  type Task,
} from '@dalston/core';
import type { Database } from './database.js';
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
  TASK_TYPES,
  taskColumns,
  taskMutableValues,
} from './job-rows.js';
import { type Ctx, key, ms, text } from './values.js';

const TASK_FIXED = ['id', 'job_id', 'tenant_id', 'position', 'stage', 'queue', 'created_at'] as const;
const TASK_COLS = [...TASK_FIXED, ...TASK_MUTABLE];
const TASK_COL_TYPES = [
  'text',
  'text',
  'text',
  'integer',
  'text',
  'text',
  'timestamptz',
  ...TASK_MUTABLE.map((col) => TASK_TYPES[col]),
];
const EDGE_COLS = ['task_id', 'position', 'job_id', 'depends_on'];
const EDGE_TYPES = ['text', 'integer', 'text', 'text'];
const EVENT_COLS = [
  'type',
  'tenant_id',
  'job_id',
  'task_id',
  'session_id',
  'payload',
  'correlation_id',
  'at',
];
const EVENT_TYPES = ['text', 'text', 'text', 'text', 'text', 'jsonb', 'text', 'timestamptz'];

/** Builds `$n::type` placeholders while collecting the values. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown, type = ''): string {
    this.values.push(v);
    return type ? `$${this.values.length}::${type}` : `$${this.values.length}`;
  }
  /** `(VALUES (…), (…)) v (cols…, ord)`: typed rows plus their position, for INSERT … SELECT. */
  rows(rows: unknown[][], types: string[], cols: readonly string[]): string {
    const list = rows.map((r, i) => `(${r.map((v, k) => this.add(v, types[k])).join(', ')}, ${i})`);
    return `(VALUES ${list.join(', ')}) v (${cols.join(', ')}, ord)`;
  }
}

export async function createJob(db: Database, input: CreateJobInput): Promise<CreateJobResult> {
  const c: Ctx = { store: 'jobStore', operation: 'createJob' };
  const { job, tasks, events } = input;
  const p = new Params();
  const jobCols = ['id', 'tenant_id', 'idempotency_key', 'created_at', ...JOB_MUTABLE];
  const jobRow = [
    key(c, 'job.id', job.id),
    key(c, 'job.tenantId', job.tenantId),
    job.idempotencyKey === null ? null : key(c, 'job.idempotencyKey', job.idempotencyKey),
    ms(c, 'job.createdAt', job.createdAt),
    ...jobMutableValues(c, 'job', job),
  ];
  const jobPlaceholders = jobRow.map((v, i) => {
    p.values.push(v);
    return param(p.values.length, jobCols[i]!, 'jobs');
  });
  const onConflict = job.idempotencyKey === null ? '' : 'ON CONFLICT (tenant_id, idempotency_key) DO NOTHING';
  const ctes = [
    `j AS (INSERT INTO ${db.t('jobs')} (${jobCols.join(', ')}) VALUES (${jobPlaceholders.join(', ')})
       ${onConflict} RETURNING id)`,
  ];
  const insertAfterJob = (name: string, table: string, cols: readonly string[], from: string, ret = '') =>
    `${name} AS (INSERT INTO ${db.t(table)} (${cols.join(', ')})
       SELECT ${cols.map((col) => `v.${col}`).join(', ')} FROM ${from} WHERE EXISTS (SELECT 1 FROM j)
       ORDER BY v.ord ${ret})`;
  if (tasks.length > 0) {
    const rows = tasks.map((t, i) => taskInsertValues(c, job, t, i));
    ctes.push(insertAfterJob('t', 'tasks', TASK_COLS, p.rows(rows, TASK_COL_TYPES, TASK_COLS)));
  }
  const edges = tasks.flatMap((t, i) =>
    t.dependsOn.map((dep, k) => [t.id, k, job.id, key(c, `tasks.${i}.dependsOn.${k}`, dep)]),
  );
  if (edges.length > 0) {
    ctes.push(insertAfterJob('d', 'task_dependencies', EDGE_COLS, p.rows(edges, EDGE_TYPES, EDGE_COLS)));
  }
  if (events.length > 0) {
    const rows = events.map((e, i) => eventValues(c, `events.${i}`, e));
    ctes.push(
      insertAfterJob('e', 'events', EVENT_COLS, p.rows(rows, EVENT_TYPES, EVENT_COLS), 'RETURNING id'),
    );
  }
  const ids = events.length > 0 ? 'ARRAY(SELECT id::text FROM e)' : `'{}'::text[]`;
  const { rows } = await db.query<{ created: boolean; ids: string[] }>(
    'jobStore',
    'createJob',
    `WITH ${ctes.join(',\n')}
     SELECT EXISTS (SELECT 1 FROM j) AS created, ${ids} AS ids`,
    p.values,
  );
  const r = rows[0]!;
  if (!r.created) return { created: false, snapshot: await existingJob(db, job) };
  // Identity values follow the ORDER BY of the insert: ascending ids are the input order.
  const eventIds = r.ids.map(Number).sort((a, b) => a - b);
  const snapshot: JobSnapshot = structuredClone({ job, tasks });
  return {
    created: true,
    snapshot,
    events: events.map((e, i) => ({ ...structuredClone(e), id: eventIds[i]! })),
  };
}

/** The committed job holding this tenant's idempotency key, with its tasks. */
async function existingJob(db: Database, job: Job): Promise<JobSnapshot> {
  // One statement, so job and tasks come from one snapshot.
  const { rows } = await db.query(
    'jobStore',
    'createJob',
    `SELECT row_to_json(x) AS job,
            ARRAY(SELECT row_to_json(y) FROM (SELECT ${taskColumns(db.t('task_dependencies'))}
                  FROM ${db.t('tasks')} t WHERE t.job_id = x.id ORDER BY t.position) y) AS tasks
     FROM (SELECT ${jobColumns()} FROM ${db.t('jobs')} j
           WHERE j.tenant_id = $1 AND j.idempotency_key = $2) x`,
    [job.tenantId, job.idempotencyKey],
  );
  const row = rows[0];
  if (!row) {
    // Taken when we inserted, gone now (deleted in between): the caller may retry.
    throw new DalstonError('CONFLICT', 'jobStore.createJob: idempotency key race, retry', {
      store: 'jobStore',
      operation: 'createJob',
    });
  }
  return { job: rowToJob(row.job), tasks: (row.tasks as Record<string, unknown>[]).map(rowToTask) };
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
