/**
 * WorkQueue rules. `enqueue`, `lease`, `ackAndLease`, `extend` and `ack` are on every
 * task's path: their checks are plain comparisons that allocate nothing unless they fail
 * (a failing message is then worded by `queueMessageSchema`, the same rule in zod).
 */
import { MAX_QUEUE_FIELD_LENGTH, type QueueMessage, queueMessageId } from '../../domain/queue-message.js';
import { queueMessageSchema } from '../../domain/schemas.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import {
  array,
  integer,
  matches,
  nonEmptyString,
  nonNegativeMs,
  object,
  pageLimit,
  positiveInt,
  string,
} from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

const isQueueField = (v: unknown): boolean =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_QUEUE_FIELD_LENGTH;

/** The fast form of `queueMessageSchema` (tests keep the two in step). */
export function isWellFormedMessage(m: QueueMessage): boolean {
  return (
    typeof m === 'object' &&
    m !== null &&
    isQueueField(m.queue) &&
    isQueueField(m.taskId) &&
    isQueueField(m.jobId) &&
    isQueueField(m.tenantId) &&
    Number.isSafeInteger(m.attempt) &&
    m.attempt >= 1 &&
    m.id === queueMessageId(m.taskId, m.attempt) &&
    Number.isSafeInteger(m.priority) &&
    (m.notBefore === null || (Number.isFinite(m.notBefore) && m.notBefore >= 0)) &&
    Number.isSafeInteger(m.maxDeliveries) &&
    m.maxDeliveries >= 1
  );
}

function checkMessages(messages: unknown): void {
  array(messages, 'messages', 'queue messages');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as QueueMessage;
    if (isWellFormedMessage(m)) continue;
    const field = `messages[${i}]`;
    if (typeof m !== 'object' || m === null) throw argumentError(field, 'must be a queue message object');
    matches(queueMessageSchema, m, field);
    throw argumentError(field, 'is not a well-formed queue message');
  }
}

function checkLease(queues: unknown, options: unknown): void {
  if (!Array.isArray(queues) || queues.length === 0 || !queues.every(isQueueField)) {
    throw argumentError('queues', 'must be a non-empty array of queue names');
  }
  object(options, 'options', 'lease options { leaseMs, waitMs }');
  positiveInt(options.leaseMs, 'options.leaseMs');
  nonNegativeMs(options.waitMs, 'options.waitMs');
}

/** queue, messageId and token of a held lease (strings; an unknown one is a miss, not an error). */
function checkHeld(queue: unknown, messageId: unknown, token: unknown): void {
  string(queue, 'queue');
  string(messageId, 'messageId');
  string(token, 'token');
}

export const workQueueRules: PortRules<WorkQueue> = {
  enqueue: { check: ([messages]) => checkMessages(messages) },
  lease: { check: ([queues, options]) => checkLease(queues, options) },
  extend: {
    check: ([queue, messageId, token, leaseMs]) => {
      checkHeld(queue, messageId, token);
      positiveInt(leaseMs, 'leaseMs');
    },
  },
  ack: { check: ([queue, messageId, token]) => checkHeld(queue, messageId, token) },
  ackAndLease: {
    check: ([done, queues, options]) => {
      object(done, 'done', '{ queue, messageId, token } of the lease being acked');
      nonEmptyString(done.queue, 'done.queue');
      nonEmptyString(done.messageId, 'done.messageId');
      nonEmptyString(done.token, 'done.token');
      checkLease(queues, options);
    },
  },
  release: {
    check: ([queue, messageId, token, options]) => {
      checkHeld(queue, messageId, token);
      object(options, 'options', '{ delayMs, countDelivery? }');
      nonNegativeMs(options.delayMs, 'options.delayMs');
    },
  },
  deadLetterPage: {
    check: ([queue, options]) => {
      string(queue, 'queue');
      object(options, 'options', '{ after?, limit }');
      pageLimit(options.limit, 'options.limit');
      if (options.after !== undefined) integer(options.after, 'options.after');
    },
  },
  queueNames: {},
  remove: {
    check: ([queue, messageId]) => {
      string(queue, 'queue');
      string(messageId, 'messageId');
    },
  },
  deadLetters: {
    check: ([queue, limit]) => {
      nonEmptyString(queue, 'queue');
      pageLimit(limit);
    },
  },
  unprocessedDeadLetters: {
    check: ([queue, limit]) => {
      nonEmptyString(queue, 'queue');
      pageLimit(limit);
    },
  },
  markDeadLettersProcessed: {
    check: ([queue, ids]) => {
      nonEmptyString(queue, 'queue');
      array(ids, 'ids', 'dead-letter ids');
      for (const [i, id] of ids.entries()) string(id, `ids[${i}]`);
    },
  },
  removeDeadLetter: {
    check: ([queue, id]) => {
      nonEmptyString(queue, 'queue');
      string(id, 'id');
    },
  },
  stats: { check: ([queue]) => nonEmptyString(queue, 'queue') },
  epoch: {},
  ping: {},
  close: {},
};
