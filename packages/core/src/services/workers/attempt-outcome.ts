/**
 * What an attempt records, from how its handler settled and why it was stopped. Every
 * value from the handler is read defensively and made storable on every adapter set
 * (see domain/storable.ts): error messages and codes are sanitised, output that is not
 * storable JSON fails the task once with INVALID_OUTPUT naming the problem, and a store
 * failure behind a thrown value re-runs the attempt (`infraFailure`) instead of spending
 * the failure budget.
 */
import type { Occurrence } from '../../domain/change.js';
import type { ErrorInfo } from '../../domain/job.js';
import { describeThrown, readProperty, storableText, toStorableJson } from '../../domain/storable.js';
import type { Task } from '../../domain/task.js';
import type { Lease } from '../../ports/work-queue.js';
import type { StopReason } from './heartbeat.js';
import { type StoreFaults, safeInstanceOf } from './store-retry.js';
import { TaskFailure } from './task-failure.js';

export type Settled =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: unknown }
  | { kind: 'stopped' };

const MAX_MESSAGE = 2000;
const MAX_CODE = 100;

const refOf = (task: Task, lease: Lease) => ({
  taskId: task.id,
  attempt: task.attempt,
  leaseToken: lease.token,
});

/**
 * What to record. A handler that returned first wins; an attempt stopped for a timeout
 * or a cancel records that; a lost lease or a failed job records nothing (the task is
 * someone else's now, or already ended).
 */
export function occurrenceOf(
  task: Task,
  lease: Lease,
  settled: Settled,
  reason: StopReason | null,
  faults: StoreFaults,
): Occurrence | null {
  if (reason === 'lease_lost' || reason === 'job_failed') return null;
  const ref = refOf(task, lease);
  if (settled.kind === 'stopped') {
    if (reason === null) return null;
    return { kind: reason === 'timeout' ? 'timeout' : 'cancelled', ...ref };
  }
  if (settled.kind === 'returned') return returnedOccurrence(ref, settled.value);
  if (reason !== null) return { kind: reason === 'timeout' ? 'timeout' : 'cancelled', ...ref };
  return thrownOccurrence(ref, settled.error, faults);
}

function returnedOccurrence(ref: ReturnType<typeof refOf>, value: unknown): Occurrence {
  const output = toStorableJson(value === undefined ? null : value, 'output');
  if (output.isOk()) return { kind: 'complete', ...ref, output: output.value };
  const error = {
    code: 'INVALID_OUTPUT',
    message: storableText(`the handler returned output that cannot be stored: ${output.error}`, MAX_MESSAGE),
  };
  return { kind: 'fail', ...ref, error, retryable: false };
}

function thrownOccurrence(ref: ReturnType<typeof refOf>, thrown: unknown, faults: StoreFaults): Occurrence {
  const isTaskFailure = safeInstanceOf(thrown, TaskFailure);
  const fault = faults.faultBehind(thrown, isTaskFailure);
  const retryable = isTaskFailure ? readProperty(thrown, 'retryable') !== false : true;
  if (fault && retryable) {
    const error = { code: 'STORE_UNAVAILABLE', message: describeThrown(fault, MAX_MESSAGE) };
    return { kind: 'infraFailure', ...ref, error };
  }
  return { kind: 'fail', ...ref, error: thrownError(thrown, isTaskFailure), retryable };
}

/** The error to record for a value the handler threw: its code (TaskFailure) and message, storable. */
function thrownError(thrown: unknown, isTaskFailure: boolean): ErrorInfo {
  const message = describeThrown(thrown, MAX_MESSAGE);
  if (!isTaskFailure) return { code: 'HANDLER_ERROR', message };
  const code = readProperty(thrown, 'code');
  return {
    code: typeof code === 'string' && code !== '' ? storableText(code, MAX_CODE) : 'TASK_FAILED',
    message,
  };
}

/**
 * What to record instead when the store refused `occurrence` itself (not STORE_UNAVAILABLE:
 * e.g. a value an adapter rejects), so the attempt still ends once; null when there is no
 * safer form of it.
 */
export function storableFallback(occurrence: Occurrence, refusal: unknown): Occurrence | null {
  if (occurrence.kind !== 'complete' && occurrence.kind !== 'fail') return null;
  const { taskId, attempt, leaseToken } = occurrence;
  const why = describeThrown(refusal, 500);
  if (occurrence.kind === 'complete') {
    const error = { code: 'INVALID_OUTPUT', message: `the store refused the handler's output: ${why}` };
    return { kind: 'fail', taskId, attempt, leaseToken, error, retryable: false };
  }
  const error = {
    code: occurrence.error.code.slice(0, MAX_CODE).replace(/[^\w.-]/g, '_'),
    message: `the error could not be stored as given: ${why}`,
  };
  return { kind: 'fail', taskId, attempt, leaseToken, error, retryable: occurrence.retryable };
}
