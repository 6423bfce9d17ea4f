/**
 * What the work queue reads back from Redis, checked with zod: every entry read back is
 * parsed; one that does not parse is dead-lettered by the caller, never returned. (What
 * is enqueued was checked by core's port guard, with the same `queueMessageSchema`.)
 */
import { type DeadLetter, type QueueMessage, queueMessageSchema } from '@dalston/core/adapter';
import { z } from 'zod';

const RAW_LIMIT = 4096;

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
