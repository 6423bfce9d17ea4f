/**
 * JobStore.createJobs: the jobs of one call in ONE statement, hence one transaction and
 * one commit: the same prepared statement as createJob's group commit (job-create.ts,
 * `create_jobs`: every row travels in one bound jsonb array and is expanded with
 * `jsonb_to_recordset`), sent directly rather than through the batcher, so the call is
 * all or nothing (a duplicate id or a refused value fails the statement; nothing is
 * retried job by job). An input whose idempotency key is taken (by a committed job or by
 * an earlier input of the statement: `ON CONFLICT DO NOTHING` sees the rows the statement
 * itself inserted) writes nothing; the jobs holding those keys are read back with one
 * more statement.
 */
import {
  type CreateJobInput,
  type CreateJobResult,
  DalstonError,
  type JobSnapshot,
} from '@dalston/core/adapter';
import type { Database } from './database.js';
import { createSql } from './job-create.js';
import { eventIds, eventsJson, jobInsertJson, tasksInsertJson } from './job-json.js';
import { jobColumns, rowToJob, rowToTask, tasksJsonSql } from './job-rows.js';
import { copyJson, copySnapshot } from './snapshot-copy.js';
import type { Ctx } from './values.js';

const c: Ctx = { store: 'jobStore', operation: 'createJobs' };

/** One input as the statement's JSON item. */
function itemJson(input: CreateJobInput, i: number): string {
  const { job, tasks, events } = input;
  const jobRow = jobInsertJson(c, job);
  const rows = tasksInsertJson(c, job, tasks);
  const eventRows = eventsJson(c, `inputs.${i}.events`, events);
  return `{"job":${jobRow},"tasks":${rows.tasks},"edges":${rows.edges},"events":${eventRows}}`;
}

export async function createJobs(db: Database, inputs: CreateJobInput[]): Promise<CreateJobResult[]> {
  if (inputs.length === 0) return [];
  const batch = `[${inputs.map(itemJson).join(',')}]`;
  const sql = db.prepared('create_jobs', () => createSql(db));
  const { rows } = await db.query('jobStore', 'createJobs', sql, [batch]);
  const row = rows[0]!;
  const created = new Set(row.created as string[]);
  // Identity values follow the ORDER BY of the insert: ascending ids are the input order.
  const ids = eventIds(row.event_ids);
  const idsByJob = new Map<string, number[]>();
  ((row.event_jobs ?? []) as string[]).forEach((jobId, k) => {
    const list = idsByJob.get(jobId) ?? [];
    list.push(ids[k]!);
    idsByJob.set(jobId, list);
  });
  const skipped = inputs.filter((input) => !created.has(input.job.id));
  const existing = skipped.length > 0 ? await existingJobs(db, skipped) : new Map<string, JobSnapshot>();
  return inputs.map(({ job, tasks, events }): CreateJobResult => {
    if (!created.has(job.id)) {
      const snapshot = existing.get(`${job.tenantId}\u0000${job.idempotencyKey}`);
      if (!snapshot) throw keyRace();
      return { created: false, snapshot };
    }
    const eventIdsOfJob = idsByJob.get(job.id) ?? [];
    return {
      created: true,
      snapshot: copySnapshot({ job, tasks }),
      events: events.map((e, k) => ({ ...copyJson(e), id: eventIdsOfJob[k]! })),
    };
  });
}

/** The committed jobs holding the idempotency keys of `inputs`, with their tasks, by `tenant NUL key`. */
async function existingJobs(db: Database, inputs: CreateJobInput[]): Promise<Map<string, JobSnapshot>> {
  const tenants = inputs.map((i) => i.job.tenantId);
  const keys = inputs.map((i) => i.job.idempotencyKey);
  // One statement, so jobs and tasks come from one snapshot.
  const { rows } = await db.query(
    'jobStore',
    'createJobs',
    db.prepared(
      'existing_jobs_by_keys',
      () => `SELECT row_to_json(x) AS job,
            ${tasksJsonSql(db.t('tasks'), db.t('task_dependencies'), 'x.id')} AS tasks
     FROM (SELECT ${jobColumns()} FROM ${db.t('jobs')} j
           WHERE (j.tenant_id, j.idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))) x`,
    ),
    [tenants, keys],
  );
  const out = new Map<string, JobSnapshot>();
  for (const r of rows) {
    const job = rowToJob(r.job);
    const tasks = (r.tasks as Record<string, unknown>[]).map(rowToTask);
    out.set(`${job.tenantId}\u0000${job.idempotencyKey}`, { job, tasks });
  }
  return out;
}

/** A key that was taken when the statement ran and is gone now (its job deleted in between). */
const keyRace = () =>
  new DalstonError('CONFLICT', 'jobStore.createJobs: idempotency key race, retry', {
    store: 'jobStore',
    operation: 'createJobs',
  });
