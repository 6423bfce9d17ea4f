/**
 * Commands of a user or operator: `cancel` and `retry` on a whole job, `redrive` of one
 * dead-lettered attempt. `retry` is the one documented exception to "terminal is
 * absorbing": an explicit user command on a failed job.
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
  taskById,
  taskEvent,
  toDecision,
  unleased,
} from './job-draft.js';
import { isTerminalTaskStatus } from './task.js';

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

/**
 * Redrives a dead-lettered attempt whose task is still `ready` or `running` at `attempt`
 * (the reconciler has not failed it yet): the task becomes `ready` as a new attempt with
 * fresh `failures` and `lostLeases`, due now (a running handler is aborted). Anything else
 * decides nothing: `not_found`, `stale` (another attempt), `terminal` (an ended task, or a
 * cancelling job). A task that already failed is redriven by retrying its failed job.
 */
export function redrive(d: Draft, taskId: string, attempt: number): Decision {
  const task = taskById(d, taskId);
  if (!task) return nothing('not_found');
  if (task.attempt !== attempt) return nothing('stale');
  if (isTerminalTaskStatus(task.status) || d.job.status === 'cancelling') return nothing('terminal');
  if (task.status !== 'ready' && task.status !== 'running') return nothing('not_ready');
  if (task.status === 'running') d.abort.push(refOf(task));
  const next = setTask(d, {
    ...unleased(task),
    status: 'ready',
    attempt: task.attempt + 1,
    failures: 0,
    lostLeases: 0,
    error: null,
    notBefore: null,
    startedAt: null,
    cancelRequested: false,
  });
  taskEvent(d, 'task.retrying', next, { reason: 'dead letter redriven', delayMs: 0 });
  d.enqueue.add(next.id);
  return toDecision(d);
}
