/**
 * Row retention in the memory JobStore: `deleteExpiredJobRows` takes terminal, purged jobs
 * finished long enough ago, in (finishedAt, id) order, and removes each with its tasks and
 * events from every table and index (tenant job index, event log), synchronously, so the
 * batch is all-or-nothing like the PostgreSQL transaction. A job whose per-job mutex is
 * held (an update in progress) is skipped, as PostgreSQL's SKIP LOCKED skips a locked row.
 */
import type { DeletedJobRows, Job, RowRetentionCursor } from '@dalston/core/adapter';
import { isTerminalJobStatus } from '@dalston/core/adapter';
import type { JobStoreState } from './job-store-state.js';
import { compareText } from './text-order.js';

const byFinished = (a: RowRetentionCursor, b: RowRetentionCursor) =>
  a.finishedAt - b.finishedAt || compareText(a.id, b.id);

/** Whether the job's rows may go now (see JobStore.deleteExpiredJobRows). */
function expired(
  state: JobStoreState,
  job: Job,
  finishedBefore: number,
): job is Job & { finishedAt: number } {
  return (
    isTerminalJobStatus(job.status) &&
    job.purgedAt !== null &&
    job.finishedAt !== null &&
    job.finishedAt <= finishedBefore &&
    !state.hasUnpublishedEvents(job.id)
  );
}

export function deleteExpiredJobRows(
  state: JobStoreState,
  held: (jobId: string) => boolean,
  finishedBefore: number,
  limit: number,
  after?: RowRetentionCursor,
): DeletedJobRows {
  const due: Array<Job & { finishedAt: number }> = [];
  for (const job of state.jobs.values()) {
    if (!expired(state, job, finishedBefore) || held(job.id)) continue;
    if (after && byFinished(job, after) <= 0) continue;
    due.push(job);
  }
  const batch = due.sort(byFinished).slice(0, limit);
  const out: DeletedJobRows = { jobs: 0, tasks: 0, events: 0, last: null };
  for (const job of batch) {
    const removed = state.removeJob(job);
    out.jobs++;
    out.tasks += removed.tasks;
    out.events += removed.events;
    out.last = { finishedAt: job.finishedAt, id: job.id };
  }
  return out;
}
