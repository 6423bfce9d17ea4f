/**
 * What one occurrence on one task does (start, progress, complete, fail, timeout,
 * leaseLost, infraFailure, deadLettered, cancelled). Each handler works on a draft whose job is known
 * to be non-terminal and returns the decision. See SPEC §3 and `decide` in transitions.ts.
 */
import { err, ok, type Result } from 'neverthrow';
import { backoffDelay } from './backoff.js';
import {
  type AttemptRef,
  DEFAULT_MAX_STORE_INTERRUPTIONS,
  DEFAULT_STORE_RETRY_BACKOFF,
  type DecideContext,
  type Decision,
  type Occurrence,
} from './change.js';
import type { ErrorInfo } from './job.js';
import {
  type Draft,
  finishJob,
  finishTask,
  nothing,
  promoteDependents,
  refOf,
  setJob,
  setTask,
  settleCancelling,
  settleJob,
  taskById,
  taskEvent,
  toDecision,
  unleased,
} from './job-draft.js';
import { isTerminalTaskStatus, type Task } from './task.js';

type Of<K extends Occurrence['kind']> = Extract<Occurrence, { kind: K }>;

const leaseExpired = (t: Task, now: number): boolean => t.leaseExpiresAt === null || t.leaseExpiresAt <= now;

/** The task named by a fenced ref, when it is running with that attempt and token. */
function fenced(d: Draft, ref: AttemptRef): Result<Task, Decision> {
  const task = taskById(d, ref.taskId);
  if (!task) return err(nothing('not_found'));
  if (isTerminalTaskStatus(task.status)) return err(nothing('terminal'));
  if (task.status !== 'running' || task.attempt !== ref.attempt || task.leaseToken !== ref.leaseToken) {
    return err(nothing('stale'));
  }
  return ok(task);
}

/** The attempt of a task in a cancelling job ended (whatever its outcome): recorded cancelled. */
function endCancelled(d: Draft, task: Task): Decision {
  finishTask(d, task, 'cancelled');
  settleCancelling(d);
  return toDecision(d);
}

/**
 * The task failed for good. Required: the task fails, every other non-terminal task is
 * cancelled (running ones aborted) and the job fails. Optional: the task is skipped, its
 * dependents proceed and the job may complete.
 */
export function failForGood(d: Draft, task: Task, error: ErrorInfo): void {
  const extra = { errorCode: error.code };
  if (!task.required) {
    finishTask(d, task, 'skipped', { error }, extra);
    promoteDependents(d);
    settleJob(d);
    return;
  }
  finishTask(d, task, 'failed', { error }, extra);
  for (const other of d.tasks) {
    if (isTerminalTaskStatus(other.status)) continue;
    if (other.status === 'running') d.abort.push(refOf(other));
    finishTask(d, other, 'cancelled');
  }
  finishJob(d, 'failed', { ...error, stage: task.stage }, { stage: task.stage, errorCode: error.code });
}

/**
 * The task starts. The first start of a job also starts the job; its `task.started` says
 * so (`jobStarted: true`) instead of a separate `job.started` event in the same commit.
 */
function run(d: Draft, task: Task, occ: Of<'start'>): void {
  const jobStarted = d.job.status === 'pending';
  if (jobStarted) setJob(d, { status: 'running', startedAt: d.job.startedAt ?? d.now });
  const next = setTask(d, {
    ...task,
    status: 'running',
    leaseToken: occ.leaseToken,
    leaseExpiresAt: occ.leaseExpiresAt,
    startedAt: d.now,
    notBefore: null,
    cancelRequested: false,
  });
  taskEvent(d, 'task.started', next, jobStarted ? { jobStarted: true } : {});
}

const leaseLostError = (lost: number): ErrorInfo => ({
  code: 'LEASE_LOST',
  message: `lease lost ${lost} times: the task keeps crashing or stalling its workers`,
});

/**
 * A running attempt whose lease expired: back to ready as a new attempt (failures
 * untouched), or failed for good past the lost-lease ceiling. Returns the requeued task.
 */
function loseLease(d: Draft, task: Task, ctx: DecideContext): Task | null {
  d.abort.push(refOf(task));
  const lostLeases = task.lostLeases + 1;
  if (lostLeases > ctx.maxLostLeases) {
    failForGood(d, { ...task, lostLeases }, leaseLostError(lostLeases));
    return null;
  }
  const next = setTask(d, {
    ...unleased(task),
    status: 'ready',
    attempt: task.attempt + 1,
    lostLeases,
    notBefore: null,
  });
  taskEvent(d, 'task.retrying', next, { reason: 'lease lost', delayMs: 0 });
  return next;
}

export function start(d: Draft, occ: Of<'start'>, ctx: DecideContext): Decision {
  const task = taskById(d, occ.taskId);
  if (!task) return nothing('not_found');
  if (isTerminalTaskStatus(task.status)) return nothing('terminal');
  if (d.job.status === 'cancelling') return nothing('stale');
  if (task.status === 'pending') return nothing('not_ready');
  if (task.status === 'ready') {
    if (task.notBefore !== null && task.notBefore > d.now) return nothing('not_ready');
    run(d, task, occ);
    return toDecision(d);
  }
  if (!leaseExpired(task, d.now)) return nothing('stale');
  const requeued = loseLease(d, task, ctx);
  if (requeued) run(d, requeued, occ);
  return toDecision(d);
}

export function progress(d: Draft, occ: Of<'progress'>): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  taskEvent(d, 'task.progress', found.value, { progress: occ.progress });
  return toDecision(d);
}

export function complete(d: Draft, occ: Of<'complete'>): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  if (d.job.status === 'cancelling') return endCancelled(d, found.value);
  finishTask(d, found.value, 'completed', { output: occ.output, error: null });
  promoteDependents(d);
  settleJob(d);
  return toDecision(d);
}

/** A failed attempt: retried after a backoff while attempts remain, else failed for good. */
function failAttempt(
  d: Draft,
  task: Task,
  error: ErrorInfo,
  retryable: boolean,
  ctx: DecideContext,
): Decision {
  const failures = task.failures + 1;
  if (!retryable || failures >= task.maxAttempts) {
    failForGood(d, { ...task, failures }, error);
    return toDecision(d);
  }
  const delayMs = backoffDelay(task.backoff, failures, ctx.random);
  const next = setTask(d, {
    ...unleased(task),
    status: 'ready',
    attempt: task.attempt + 1,
    failures,
    error,
    notBefore: d.now + delayMs,
  });
  taskEvent(d, 'task.retrying', next, { reason: 'failed', errorCode: error.code, delayMs });
  d.enqueue.add(next.id);
  return toDecision(d);
}

export function fail(d: Draft, occ: Of<'fail'>, ctx: DecideContext): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  if (d.job.status === 'cancelling') return endCancelled(d, found.value);
  return failAttempt(d, found.value, occ.error, occ.retryable, ctx);
}

export function timeout(d: Draft, occ: Of<'timeout'>, ctx: DecideContext): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  const task = found.value;
  if (d.job.status === 'cancelling') return endCancelled(d, task);
  const error = {
    code: 'TIMEOUT',
    message: `attempt ${task.attempt} exceeded timeoutMs (${task.timeoutMs} ms)`,
  };
  return failAttempt(d, task, error, true, ctx);
}

export function leaseLost(d: Draft, occ: Of<'leaseLost'>, ctx: DecideContext): Decision {
  const task = taskById(d, occ.taskId);
  if (!task) return nothing('not_found');
  if (isTerminalTaskStatus(task.status)) return nothing('terminal');
  if (task.status !== 'running' || task.attempt !== occ.attempt || !leaseExpired(task, d.now)) {
    return nothing('stale');
  }
  if (d.job.status === 'cancelling') {
    d.abort.push(refOf(task));
    return endCancelled(d, task);
  }
  const requeued = loseLease(d, task, ctx);
  if (requeued) d.enqueue.add(requeued.id);
  return toDecision(d);
}

/**
 * A store cut the attempt short (STORE_UNAVAILABLE): infrastructure, not the handler's
 * fault. The attempt ends without spending `failures`: back to `ready` as a new attempt
 * after the store backoff (`lostLeases`, the count of attempts that ended without a
 * verdict, goes up by one), or failed for good with STORE_UNAVAILABLE once that count
 * would pass `maxStoreInterruptions` (true poison, or an outage that does not end).
 */
export function infraFailure(d: Draft, occ: Of<'infraFailure'>, ctx: DecideContext): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  const task = found.value;
  if (d.job.status === 'cancelling' || task.cancelRequested) return endCancelled(d, task);
  const interruptions = task.lostLeases + 1;
  if (interruptions > (ctx.maxStoreInterruptions ?? DEFAULT_MAX_STORE_INTERRUPTIONS)) {
    const error = {
      code: 'STORE_UNAVAILABLE',
      message:
        `attempts interrupted ${interruptions} times by unavailable stores; last: ${occ.error.message}`.slice(
          0,
          2000,
        ),
    };
    failForGood(d, { ...task, lostLeases: interruptions }, error);
    return toDecision(d);
  }
  const delayMs = backoffDelay(
    ctx.storeRetryBackoff ?? DEFAULT_STORE_RETRY_BACKOFF,
    interruptions,
    ctx.random,
  );
  const next = setTask(d, {
    ...unleased(task),
    status: 'ready',
    attempt: task.attempt + 1,
    lostLeases: interruptions,
    error: occ.error,
    notBefore: d.now + delayMs,
  });
  taskEvent(d, 'task.retrying', next, { reason: 'store unavailable', errorCode: occ.error.code, delayMs });
  d.enqueue.add(next.id);
  return toDecision(d);
}

export function deadLettered(d: Draft, occ: Of<'deadLettered'>): Decision {
  const task = taskById(d, occ.taskId);
  if (!task) return nothing('not_found');
  if (isTerminalTaskStatus(task.status)) return nothing('terminal');
  if (task.status === 'running') d.abort.push(refOf(task));
  if (d.job.status === 'cancelling') return endCancelled(d, task);
  failForGood(d, task, { code: 'DEAD_LETTERED', message: occ.reason.slice(0, 500) });
  return toDecision(d);
}

/**
 * The handler stopped after a cancel. In a cancelling job the task is recorded cancelled;
 * otherwise (the handler gave up on its own) it counts as a failed, retryable attempt.
 */
export function cancelled(d: Draft, occ: Of<'cancelled'>, ctx: DecideContext): Decision {
  const found = fenced(d, occ);
  if (found.isErr()) return found.error;
  const task = found.value;
  if (d.job.status === 'cancelling' || task.cancelRequested) return endCancelled(d, task);
  return failAttempt(d, task, { code: 'CANCELLED', message: 'the handler stopped (aborted)' }, true, ctx);
}
