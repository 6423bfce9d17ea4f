/**
 * Commands on a whole job: `cancel` and `retry`. `retry` is the one documented exception
 * to "terminal is absorbing": an explicit user command on a failed job.
 */
import type { Decision } from './change.js';
import { isTerminalJobStatus } from './job.js';
import {
  type Draft,
  finishJob,
  finishTask,
  jobEvent,
  nothing,
  promoteDependents,
  refOf,
  setJob,
  setTask,
  taskEvent,
  toDecision,
} from './job-draft.js';

/**
 * Pending and ready tasks are cancelled now; running ones are flagged `cancelRequested`
 * and aborted. The job goes `cancelling` while any task runs, else straight to `cancelled`.
 */
export function cancel(d: Draft, reason: string): Decision {
  if (isTerminalJobStatus(d.job.status)) return nothing('terminal');
  if (d.job.status === 'cancelling') return nothing('no_change');
  let running = false;
  for (const t of d.tasks) {
    if (t.status === 'pending' || t.status === 'ready') finishTask(d, t, 'cancelled');
    if (t.status !== 'running') continue;
    running = true;
    setTask(d, { ...t, cancelRequested: true });
    d.abort.push(refOf(t));
  }
  const extra = { reason: reason.slice(0, 200) };
  if (running) {
    setJob(d, { status: 'cancelling' });
    jobEvent(d, 'job.cancelling', extra);
  } else {
    finishJob(d, 'cancelled', null, extra);
  }
  return toDecision(d);
}

/**
 * On a failed (and not yet purged) job: every task not completed goes back to pending,
 * or ready when its dependencies are completed, as a new attempt with fresh counters;
 * the job goes back to `pending`.
 */
export function retry(d: Draft): Decision {
  if (d.job.status !== 'failed') return nothing(isTerminalJobStatus(d.job.status) ? 'terminal' : 'stale');
  if (d.job.purgedAt !== null) return nothing('terminal');
  setJob(d, { status: 'pending', error: null, finishedAt: null, purgeAfter: null });
  jobEvent(d, 'job.retrying');
  for (const t of d.tasks) {
    if (t.status === 'completed') continue;
    const next = setTask(d, {
      ...t,
      status: 'pending',
      attempt: t.attempt + 1,
      failures: 0,
      lostLeases: 0,
      error: null,
      output: null,
      leaseToken: null,
      leaseExpiresAt: null,
      cancelRequested: false,
      notBefore: null,
      startedAt: null,
      finishedAt: null,
    });
    taskEvent(d, 'task.retrying', next, { reason: 'job retry', delayMs: 0 });
  }
  promoteDependents(d);
  return toDecision(d);
}
