/**
 * What the work queue writes to and reads back from Redis, checked with zod: messages
 * are validated before enqueue (VALIDATION_FAILED naming the field), and every entry read
 * back is parsed; one that does not parse is dead-lettered by the caller, never returned.
 */
import { type DeadLetter, type QueueMessage, queueMessageSchema } from '@dalston/core/adapter';
import { z } from 'zod';
import { invalid } from './store-errors.js';

const MAX_NAME = 200;
const RAW_LIMIT = 4096;

/** Throws VALIDATION_FAILED (field e.g. `messages[1].maxDeliveries`) for a malformed message. */
export function validateMessage(m: unknown, index: number): QueueMessage {
  const path = `messages[${index}]`;
  const parsed = queueMessageSchema.safeParse(m);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [path, ...(issue?.path ?? []).map(String)].join('.');
    throw invalid('workQueue', 'enqueue', field, issue?.message ?? 'is invalid');
  }
  const msg = parsed.data;
  for (const f of ['queue', 'taskId', 'jobId', 'tenantId'] as const) {
    if (msg[f].length > MAX_NAME) {
      throw invalid('workQueue', 'enqueue', `${path}.${f}`, `must be at most ${MAX_NAME} characters`);
    }
  }
  if (msg.id !== `${msg.taskId}:${msg.attempt}`) {
    throw invalid('workQueue', 'enqueue', `${path}.id`, 'must be <taskId>:<attempt>');
  }
  if (msg.notBefore !== null && (!Number.isFinite(msg.notBefore) || msg.notBefore < 0)) {
    throw invalid('workQueue', 'enqueue', `${path}.notBefore`, 'must be null or epoch milliseconds');
  }
  return msg;
}

/** The message stored under `id` in `queue`, or null when it does not parse (or does not belong). */
export function parseMessage(body: string, queue: string, id: string): QueueMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const parsed = queueMessageSchema.safeParse(json);
  if (!parsed.success || parsed.data.queue !== queue || parsed.data.id !== id) return null;
  return parsed.data;
}

const deadEntrySchema = z.object({
  body: z.union([z.string(), z.literal(false)]),
  reason: z.string(),
  deliveries: z.number(),
  at: z.number(),
});

const truncate = (s: string): string => (s.length > RAW_LIMIT ? s.slice(0, RAW_LIMIT) : s);

/** A dead letter from its stored entry; a corrupt entry still comes back, with `raw` set. */
export function parseDeadLetter(queue: string, id: string, entry: string | null): DeadLetter {
  let json: unknown = null;
  try {
    json = entry === null ? null : JSON.parse(entry);
  } catch {
    // reported below as unparseable
  }
  const parsed = deadEntrySchema.safeParse(json);
  if (!parsed.success) {
    return {
      id,
      queue,
      message: null,
      raw: truncate(entry ?? ''),
      reason: 'unparseable entry',
      deliveries: 0,
      at: 0,
    };
  }
  const { body, reason, deliveries, at } = parsed.data;
  const message = body === false ? null : parseMessage(body, queue, id);
  return {
    id,
    queue,
    message,
    raw: message === null ? truncate(body === false ? '' : body) : null,
    reason,
    deliveries,
    at,
  };
}
