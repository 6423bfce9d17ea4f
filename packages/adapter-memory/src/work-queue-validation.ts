/**
 * Argument checks for MemoryWorkQueue: VALIDATION_FAILED naming the offending field,
 * the same way the Redis adapter reports a malformed message (nothing is added).
 */
import { DalstonError, type LeaseOptions, type QueueMessage } from '@dalston/core';

const MAX_NAME = 200;

function fail(operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, {
    store: 'workQueue',
    operation,
    field,
  });
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;

/** Throws VALIDATION_FAILED (field e.g. `messages[0].attempt`) for a malformed message. */
export function validateQueueMessage(m: QueueMessage, path: string): void {
  const bad = (field: string, message: string) => fail('enqueue', `${path}.${field}`, message);
  if (typeof m !== 'object' || m === null) throw fail('enqueue', path, 'must be a queue message object');
  for (const field of ['queue', 'taskId', 'jobId', 'tenantId'] as const) {
    if (!isName(m[field])) throw bad(field, `must be a non-empty string of at most ${MAX_NAME} characters`);
  }
  if (!Number.isSafeInteger(m.attempt) || m.attempt < 1) throw bad('attempt', 'must be an integer >= 1');
  if (m.id !== `${m.taskId}:${m.attempt}`)
    throw bad('id', `must be "${m.taskId}:${m.attempt}" (taskId:attempt)`);
  if (!Number.isSafeInteger(m.priority)) throw bad('priority', 'must be an integer');
  if (m.notBefore !== null && (!Number.isFinite(m.notBefore) || m.notBefore < 0)) {
    throw bad('notBefore', 'must be null or epoch milliseconds');
  }
  if (!Number.isSafeInteger(m.maxDeliveries) || m.maxDeliveries < 1) {
    throw bad('maxDeliveries', 'must be an integer >= 1');
  }
}

/** Throws VALIDATION_FAILED for a malformed lease request. */
export function validateLeaseRequest(queues: string[], options: LeaseOptions): void {
  if (!Array.isArray(queues) || queues.length === 0 || !queues.every(isName)) {
    throw fail('lease', 'queues', 'must be a non-empty array of queue names');
  }
  if (!Number.isInteger(options?.leaseMs) || options.leaseMs < 1) {
    throw fail('lease', 'options.leaseMs', 'must be an integer >= 1');
  }
  if (!Number.isFinite(options.waitMs) || options.waitMs < 0) {
    throw fail('lease', 'options.waitMs', 'must be a number of milliseconds >= 0');
  }
}
