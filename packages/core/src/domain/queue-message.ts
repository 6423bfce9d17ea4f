/**
 * QueueMessage: the "run task T" message the WorkQueue port carries. A domain value (the
 * zod schemas in `schemas.ts` describe it too), so the domain never imports from ports/.
 */

/** A queued message. Its `id` is `${taskId}:${attempt}`: enqueue is idempotent per task attempt. */
export interface QueueMessage {
  id: string;
  queue: string;
  taskId: string;
  jobId: string;
  tenantId: string;
  attempt: number;
  /** Higher is leased first. Within a priority, first in first out. */
  priority: number;
  /** Not leasable before this time (epoch ms); null = now. */
  notBefore: number | null;
  /** Leases handed out before the message is dead-lettered instead (>= 1). */
  maxDeliveries: number;
}

/** The longest queue, task, job or tenant name a queue message carries. */
export const MAX_QUEUE_FIELD_LENGTH = 200;

/** The one rule for a message id: `${taskId}:${attempt}` (enqueue is idempotent per task attempt). */
export const queueMessageId = (taskId: string, attempt: number): string => `${taskId}:${attempt}`;
