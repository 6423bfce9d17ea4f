/**
 * Row retention in PostgreSQL: `deleteExpiredJobRows` as one statement (so one
 * transaction: every row of a job goes, or none does). It locks the batch's job rows
 * (`FOR UPDATE SKIP LOCKED`: a job a writer holds is left for a later call), deletes their
 * events and tasks (the DAG edges cascade from the tasks) and then the jobs, and returns the
 * counts with the last job deleted. Candidates come from the partial index
 * `jobs_row_retention` (purged jobs by finished_at, id; migration 0005); a purged job is
 * always terminal (CHECK jobs_purged_only_terminal). A job with an event still in the
 * outbox is skipped until the relay has published it.
 */
import type { DeletedJobRows, RowRetentionCursor } from '@dalston/core/adapter';
import type { Database } from './database.js';
import { type Ctx, ms, text } from './values.js';

const c: Ctx = { store: 'jobStore', operation: 'deleteExpiredJobRows' };

function deleteSql(db: Database): string {
  return `WITH victims AS (
      SELECT j.id, j.tenant_id FROM ${db.t('jobs')} j
      WHERE j.purged_at IS NOT NULL AND j.finished_at <= $1::timestamptz
        AND ($3::timestamptz IS NULL OR (j.finished_at, j.id) > ($3::timestamptz, $4::text))
        AND NOT EXISTS (
          SELECT 1 FROM ${db.t('events')} e JOIN ${db.t('outbox')} o ON o.event_id = e.id
          WHERE e.tenant_id = j.tenant_id AND e.job_id = j.id)
      ORDER BY j.finished_at, j.id LIMIT $2
      FOR UPDATE OF j SKIP LOCKED),
    ev AS (DELETE FROM ${db.t('events')} e USING victims v
      WHERE e.tenant_id = v.tenant_id AND e.job_id = v.id RETURNING 1),
    tk AS (DELETE FROM ${db.t('tasks')} t USING victims v
      WHERE t.job_id = v.id AND t.tenant_id = v.tenant_id RETURNING 1),
    jb AS (DELETE FROM ${db.t('jobs')} j USING victims v WHERE j.id = v.id
      RETURNING j.id, round(extract(epoch FROM j.finished_at) * 1000)::float8 AS finished_at)
    SELECT (SELECT count(*) FROM jb)::int AS jobs, (SELECT count(*) FROM tk)::int AS tasks,
      (SELECT count(*) FROM ev)::int AS events,
      (SELECT row_to_json(l) FROM (SELECT id, finished_at FROM jb
        ORDER BY finished_at DESC, id DESC LIMIT 1) l) AS last`;
}

interface Row {
  jobs: number;
  tasks: number;
  events: number;
  last: { id: string; finished_at: number } | null;
}

export async function deleteExpiredJobRows(
  db: Database,
  finishedBefore: number,
  max: number,
  after?: RowRetentionCursor,
): Promise<DeletedJobRows> {
  const sql = db.prepared('delete_expired_job_rows', () => deleteSql(db));
  const { rows } = await db.query<Row>(c.store, c.operation, sql, [
    ms(c, 'finishedBefore', finishedBefore),
    max,
    after ? ms(c, 'after.finishedAt', after.finishedAt) : null,
    after ? text(c, 'after.id', after.id) : null,
  ]);
  const { jobs, tasks, events, last } = rows[0]!;
  return { jobs, tasks, events, last: last ? { finishedAt: last.finished_at, id: last.id } : null };
}
