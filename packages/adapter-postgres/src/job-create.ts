/**
 * JobStore.createJob in one round trip: a single prepared statement (its own transaction)
 * inserts the job, its tasks, their DAG edges, the events and their outbox rows with
 * data-modifying CTEs; the rows arrive as four bound jsonb parameters (job-json.ts), so the
 * text is the same for every job. Every insert after the job's is gated on the job's
 * `RETURNING`, so when the idempotency key is taken (`ON CONFLICT DO NOTHING`, which waits
 * for a concurrent insert of the same key to end; NULL keys never conflict) nothing at all
 * is written, and the existing job is read back with a second statement. Foreign keys
 * between the rows of one statement are checked at its end, so edges may reference tasks
 * inserted by the same statement.
 */
import {
  type CreateJobInput,
  type CreateJobResult,
  DalstonError,
  type Job,
  type JobSnapshot,
} from '@dalston/core';
import type { Database } from './database.js';
import { eventIds, eventsJson, insertEventsSql, jobInsertJson, tasksInsertJson } from './job-json.js';
import {
  JOB_MUTABLE,
  jobColumns,
  rowToJob,
  rowToTask,
  TASK_MUTABLE,
  TASK_TYPES,
  taskColumns,
} from './job-rows.js';
import type { Ctx } from './values.js';

const JOB_TYPES: Record<(typeof JOB_MUTABLE)[number], string> = {
  status: 'text',
  parameters: 'jsonb',
  input: 'text',
  retention_days: 'integer',
  purge_after: 'timestamptz',
  purged_at: 'timestamptz',
  error: 'jsonb',
  correlation_id: 'text',
  started_at: 'timestamptz',
  finished_at: 'timestamptz',
  created_by_key_id: 'text',
  version: 'integer',
};

function createSql(db: Database): string {
  const jobCols = ['id', 'tenant_id', 'idempotency_key', 'created_at', ...JOB_MUTABLE];
  const jobDefs = ['id text', 'tenant_id text', 'idempotency_key text', 'created_at timestamptz'].concat(
    JOB_MUTABLE.map((col) => `${col} ${JOB_TYPES[col]}`),
  );
  const taskCols = ['id', 'position', 'stage', 'queue', 'created_at', ...TASK_MUTABLE];
  const taskDefs = [
    'id text',
    'position integer',
    'stage text',
    'queue text',
    'created_at timestamptz',
  ].concat(TASK_MUTABLE.map((col) => `${col} ${TASK_TYPES[col]}`));
  const gate = 'WHERE EXISTS (SELECT 1 FROM j)';
  return `WITH j AS (
      INSERT INTO ${db.t('jobs')} (${jobCols.join(', ')})
      SELECT ${jobCols.map((col) => `w.${col}`).join(', ')} FROM jsonb_to_record($1::jsonb) w(${jobDefs.join(', ')})
      ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id, tenant_id),
    t AS (
      INSERT INTO ${db.t('tasks')} (job_id, tenant_id, ${taskCols.join(', ')})
      SELECT j.id, j.tenant_id, ${taskCols.map((col) => `w.${col}`).join(', ')}
      FROM j, jsonb_to_recordset($2::jsonb) w(${taskDefs.join(', ')}) ORDER BY w.position),
    d AS (
      INSERT INTO ${db.t('task_dependencies')} (task_id, position, job_id, depends_on)
      SELECT w.task_id, w.position, j.id, w.depends_on
      FROM j, jsonb_to_recordset($3::jsonb) w(task_id text, position integer, depends_on text)),
    ${insertEventsSql((n) => db.t(n), '$4::jsonb', gate)}
    SELECT EXISTS (SELECT 1 FROM j) AS created, ARRAY(SELECT id FROM e) AS ids`;
}

export async function createJob(db: Database, input: CreateJobInput): Promise<CreateJobResult> {
  const c: Ctx = { store: 'jobStore', operation: 'createJob' };
  const { job, tasks, events } = input;
  const jobJson = jobInsertJson(c, job);
  const rows = tasksInsertJson(c, job, tasks);
  const eventRows = eventsJson(c, 'events', events);
  const sql = db.prepared('create_job', () => createSql(db));
  const res = await db.query<{ created: boolean; ids: string[] }>('jobStore', 'createJob', sql, [
    jobJson,
    rows.tasks,
    rows.edges,
    eventRows,
  ]);
  const r = res.rows[0]!;
  if (!r.created) return { created: false, snapshot: await existingJob(db, job) };
  // Identity values follow the ORDER BY of the insert: ascending ids are the input order.
  const ids = eventIds(r.ids);
  const snapshot: JobSnapshot = structuredClone({ job, tasks });
  return {
    created: true,
    snapshot,
    events: events.map((e, i) => ({ ...structuredClone(e), id: ids[i]! })),
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
