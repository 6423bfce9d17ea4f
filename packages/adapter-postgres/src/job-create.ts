/**
 * JobStore.createJob in one round trip: a single prepared statement (its own transaction)
 * inserts the jobs of a batch (see JobCreator), their tasks, DAG edges, events and the
 * events' outbox rows with data-modifying CTEs; the rows arrive as one bound jsonb array
 * (job-json.ts), so the text is the same for every batch. Every insert after the job's is gated on the job's
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
  toDalstonError,
} from '@dalston/core/adapter';
import { Batcher } from './batcher.js';
import type { Database } from './database.js';
import {
  EVENT_COLS,
  eventIds,
  eventsJson,
  JOB_INSERT_COLS,
  jobInsertJson,
  TASK_INSERT_COLS,
  tasksInsertJson,
} from './job-json.js';
import { type JOB_MUTABLE, jobColumns, rowToJob, rowToTask, TASK_TYPES, tasksJsonSql } from './job-rows.js';
import { copyJson, copySnapshot } from './snapshot-copy.js';
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

/** Types of the insert-only keys (the mutable ones: JOB_TYPES, TASK_TYPES). */
const JOB_KEY_TYPES: Record<string, string> = {
  id: 'text',
  tenant_id: 'text',
  type: 'text',
  idempotency_key: 'text',
  created_at: 'timestamptz',
  trace_context: 'text',
};
const TASK_KEY_TYPES: Record<string, string> = {
  id: 'text',
  position: 'integer',
  stage: 'text',
  queue: 'text',
  created_at: 'timestamptz',
};

/** One statement creating every job of `$1` (a JSON array of {job, tasks, edges, events}); also used by createJobs (job-create-bulk.ts). */
export function createSql(db: Database): string {
  // The JSON keys are job-json.ts's lists, so the writer and this reader cannot drift apart.
  const jobCols = JOB_INSERT_COLS;
  const jobDefs = jobCols.map(
    (col) => `${col} ${JOB_KEY_TYPES[col] ?? JOB_TYPES[col as keyof typeof JOB_TYPES]}`,
  );
  const taskCols = TASK_INSERT_COLS;
  const taskDefs = taskCols.map(
    (col) => `${col} ${TASK_KEY_TYPES[col] ?? TASK_TYPES[col as keyof typeof TASK_TYPES]}`,
  );
  const eventCols = EVENT_COLS;
  return `WITH b AS (SELECT x.value AS v, x.ordinality AS ix FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY x),
    j AS (
      INSERT INTO ${db.t('jobs')} (${jobCols.join(', ')})
      SELECT ${jobCols.map((col) => `w.${col}`).join(', ')}
      FROM b CROSS JOIN LATERAL jsonb_to_record(b.v->'job') w(${jobDefs.join(', ')}) ORDER BY b.ix
      ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id, tenant_id),
    c AS (SELECT b.v, b.ix, j.id, j.tenant_id FROM b JOIN j ON j.id = b.v->'job'->>'id'),
    t AS (
      INSERT INTO ${db.t('tasks')} (job_id, tenant_id, ${taskCols.join(', ')})
      SELECT c.id, c.tenant_id, ${taskCols.map((col) => `w.${col}`).join(', ')}
      FROM c CROSS JOIN LATERAL jsonb_to_recordset(c.v->'tasks') w(${taskDefs.join(', ')}) ORDER BY c.ix, w.position),
    d AS (
      INSERT INTO ${db.t('task_dependencies')} (task_id, position, job_id, depends_on)
      SELECT w.task_id, w.position, c.id, w.depends_on
      FROM c CROSS JOIN LATERAL jsonb_to_recordset(c.v->'edges') w(task_id text, position integer, depends_on text)),
    e AS (
      INSERT INTO ${db.t('events')} (${eventCols.join(', ')})
      SELECT ${eventCols.map((col) => `w.${col}`).join(', ')}
      FROM c CROSS JOIN LATERAL ROWS FROM (jsonb_to_recordset(c.v->'events') AS (type text, tenant_id text,
        job_id text, task_id text, session_id text, payload jsonb, correlation_id text, at timestamptz))
        WITH ORDINALITY w(${eventCols.join(', ')}, ord)
      ORDER BY c.ix, w.ord RETURNING id, job_id),
    o AS (INSERT INTO ${db.t('outbox')} (event_id) SELECT id FROM e)
    SELECT ARRAY(SELECT id FROM j) AS created, ARRAY(SELECT e.job_id FROM e ORDER BY e.id) AS event_jobs,
      ARRAY(SELECT e.id FROM e ORDER BY e.id) AS event_ids`;
}

interface CreateItem {
  id: string;
  json: string;
}
interface Created {
  created: boolean;
  ids: number[];
}

/**
 * createJob with group commit: concurrent calls (submits in flight) share one statement,
 * one transaction and one commit. Each job is created or, when its tenant's idempotency key
 * is taken, skipped on its own. When the statement fails on data (a duplicate id, a value
 * the database refuses), the jobs are created one by one so that only the one at fault
 * rejects. A job whose events name another job (or none) goes alone: events are matched to
 * their job by `job_id`.
 */
export class JobCreator {
  private readonly batcher: Batcher<CreateItem, Created>;

  constructor(private readonly db: Database) {
    this.batcher = new Batcher((items) => this.createMany(items), 64);
  }

  async createJob(input: CreateJobInput): Promise<CreateJobResult> {
    const c: Ctx = { store: 'jobStore', operation: 'createJob' };
    const { job, tasks, events } = input;
    // Checked in this order (job, tasks, events): the first bad field is the one named.
    const jobRow = jobInsertJson(c, job);
    const rows = tasksInsertJson(c, job, tasks);
    const eventRows = eventsJson(c, 'events', events);
    const json = `{"job":${jobRow},"tasks":${rows.tasks},"edges":${rows.edges},"events":${eventRows}}`;
    const item = { id: job.id, json };
    const alone = events.some((e) => e.jobId !== job.id);
    const r = alone ? (await this.createBatch([item]))[0]! : await this.batcher.submit(item);
    if (!r.created) return { created: false, snapshot: await existingJob(this.db, job) };
    const snapshot: JobSnapshot = copySnapshot({ job, tasks });
    return {
      created: true,
      snapshot,
      events: events.map((e, i) => ({ ...copyJson(e), id: r.ids[i]! })),
    };
  }

  private async createMany(items: CreateItem[]): Promise<(Created | Error)[]> {
    try {
      return await this.createBatch(items);
    } catch (e) {
      const dataError = e instanceof DalstonError && e.code !== 'STORE_UNAVAILABLE';
      if (items.length === 1 || !dataError) throw e;
      const alone = await Promise.allSettled(items.map((item) => this.createBatch([item])));
      return alone.map((r) => (r.status === 'fulfilled' ? r.value[0]! : toDalstonError(r.reason)));
    }
  }

  private async createBatch(items: CreateItem[]): Promise<Created[]> {
    const sql = this.db.prepared('create_jobs', () => createSql(this.db));
    const batch = `[${items.map((i) => i.json).join(',')}]`;
    const res = await this.db.query('jobStore', 'createJob', sql, [batch]);
    const row = res.rows[0]!;
    const created = new Set(row.created as string[]);
    const ids = eventIds(row.event_ids);
    const jobs = (row.event_jobs ?? []) as string[];
    // Identity values follow the ORDER BY of the insert: ascending ids are the input order.
    return items.map((item) => ({
      created: created.has(item.id),
      ids: items.length === 1 ? ids : ids.filter((_, k) => jobs[k] === item.id),
    }));
  }
}

/** The committed job holding this tenant's idempotency key, with its tasks. */
async function existingJob(db: Database, job: Job): Promise<JobSnapshot> {
  // One statement, so job and tasks come from one snapshot.
  const { rows } = await db.query(
    'jobStore',
    'createJob',
    `SELECT row_to_json(x) AS job,
            ${tasksJsonSql(db.t('tasks'), db.t('task_dependencies'), 'x.id')} AS tasks
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
