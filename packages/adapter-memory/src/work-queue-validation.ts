/**
 * Argument checks for MemoryWorkQueue: VALIDATION_FAILED naming the offending field,
 * the same way the Redis adapter reports a malformed message (nothing is added).
 */
import { type AckRef, DalstonError, type LeaseOptions, type QueueMessage } from '@dalston/core/adapter';

const MAX_NAME = 200;

export function fail(operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, {
    store: 'workQueue',
    operation,
    field,
  });
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;

/**
 * Throws VALIDATION_FAILED (field e.g. `messages[0].attempt`) for a malformed message at
 * `messages[index]`. On the enqueue hot path: allocates nothing unless it fails.
 */
export function validateQueueMessage(m: QueueMessage, index: number): void {
  if (typeof m !== 'object' || m === null)
    throw fail('enqueue', `messages[${index}]`, 'must be a queue message object');
  const field = messageProblem(m);
  if (field !== null) throw fail('enqueue', `messages[${index}].${field}`, problems[field](m));
}

const NAME_RULE = `must be a non-empty string of at most ${MAX_NAME} characters`;

const problems = {
  queue: () => NAME_RULE,
  taskId: () => NAME_RULE,
  jobId: () => NAME_RULE,
  tenantId: () => NAME_RULE,
  attempt: () => 'must be an integer >= 1',
  id: (m: QueueMessage) => `must be "${m.taskId}:${m.attempt}" (taskId:attempt)`,
  priority: () => 'must be an integer',
  notBefore: () => 'must be null or epoch milliseconds',
  maxDeliveries: () => 'must be an integer >= 1',
} as const;

/** The first malformed field of a message object, or null when it is well formed. */
function messageProblem(m: QueueMessage): keyof typeof problems | null {
  if (!isName(m.queue)) return 'queue';
  if (!isName(m.taskId)) return 'taskId';
  if (!isName(m.jobId)) return 'jobId';
  if (!isName(m.tenantId)) return 'tenantId';
  if (!Number.isSafeInteger(m.attempt) || m.attempt < 1) return 'attempt';
  if (m.id !== `${m.taskId}:${m.attempt}`) return 'id';
  if (!Number.isSafeInteger(m.priority)) return 'priority';
  if (m.notBefore !== null && (!Number.isFinite(m.notBefore) || m.notBefore < 0)) return 'notBefore';
  if (!Number.isSafeInteger(m.maxDeliveries) || m.maxDeliveries < 1) return 'maxDeliveries';
  return null;
}

/** Throws VALIDATION_FAILED for a malformed lease request (`operation`: lease or ackAndLease). */
export function validateLeaseRequest(queues: string[], options: LeaseOptions, operation = 'lease'): void {
  if (!Array.isArray(queues) || queues.length === 0 || !queues.every(isName)) {
    throw fail(operation, 'queues', 'must be a non-empty array of queue names');
  }
  if (!Number.isInteger(options?.leaseMs) || options.leaseMs < 1) {
    throw fail(operation, 'options.leaseMs', 'must be an integer >= 1');
  }
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw fail(operation, 'options.waitMs', 'must be a number of milliseconds >= 0');
  }
}

/** Throws VALIDATION_FAILED when the ack half of ackAndLease is not `{ queue, messageId, token }` strings. */
export function validateAckRef(done: AckRef): void {
  if (
    typeof done !== 'object' ||
    done === null ||
    typeof done.queue !== 'string' ||
    typeof done.messageId !== 'string' ||
    typeof done.token !== 'string'
  ) {
    throw fail(
      'ackAndLease',
      'done',
      'must be { queue, messageId, token } strings (from the lease being acked)',
    );
  }
}
