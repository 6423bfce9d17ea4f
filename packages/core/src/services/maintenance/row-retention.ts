/**
 * Row retention: deletes the rows of finished jobs (the job, its tasks, DAG edges and
 * events) `rowRetentionMs` after they finished, so the job store and its event log do not
 * grow without bound. Separate from artifact retention (retention.ts), and after it: only a
 * purged job (its objects already deleted, `purgedAt` set) loses its rows, so no object is
 * ever left without the row that names it; a job kept forever by its tenant's retention
 * (`retentionDays` -1) keeps its rows too. A job whose events the outbox relay has not yet
 * published waits for the relay.
 *
 * The pass deletes batch after batch (one transaction each, all of a job's rows or none) in
 * (finishedAt, id) order until none is left or the pass budget is spent; the cursor, the
 * last job deleted, lets the next pass resume there instead of walking again over jobs it
 * had to skip. A round that finds less than a full batch is complete: the next pass starts
 * from the oldest job again.
 */
import type { Clock } from '../../ports/clock.js';
import type { JobStore, RowRetentionCursor } from '../../ports/job-store.js';
import type { PassBudget } from './pass-budget.js';

/** Jobs deleted per transaction by default. */
export const ROW_RETENTION_BATCH = 100;

export interface RowRetentionDeps {
  jobStore: JobStore;
  clock: Clock;
}

/** Where the row retention round stands; kept by the maintenance service instance. */
export interface RowRetentionState {
  after: RowRetentionCursor | null;
}

/** What one row retention pass deleted. */
export interface RowRetentionCounts {
  jobs: number;
  tasks: number;
  events: number;
  /** True when the round reached its end; false when the budget stopped it (the next pass resumes). */
  complete: boolean;
}

export async function deleteExpiredRows(
  deps: RowRetentionDeps,
  retentionMs: number | null,
  state: RowRetentionState,
  budget: PassBudget,
  batchSize: number,
): Promise<RowRetentionCounts> {
  const counts: RowRetentionCounts = { jobs: 0, tasks: 0, events: 0, complete: true };
  if (retentionMs === null) return counts;
  const finishedBefore = deps.clock.now() - retentionMs;
  for (;;) {
    const batch = await deps.jobStore.deleteExpiredJobRows(
      finishedBefore,
      batchSize,
      state.after ?? undefined,
    );
    counts.jobs += batch.jobs;
    counts.tasks += batch.tasks;
    counts.events += batch.events;
    state.after = batch.jobs < batchSize ? null : batch.last;
    if (state.after === null) return counts;
    if (budget.spent) return { ...counts, complete: false };
  }
}
