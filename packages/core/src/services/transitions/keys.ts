/** Keys of the concurrency slots core holds in the RateLimitStore, and queue message ids. */
import { queueMessageId } from '../../domain/queue-message.js';
import type { Task } from '../../domain/task.js';
import type { QueueMessage } from '../../ports/work-queue.js';

export const jobSlotKey = (tenantId: string): string => `tenant:${tenantId}:jobs`;
export const sessionSlotKey = (tenantId: string): string => `tenant:${tenantId}:sessions`;

/** The queue message id of one task attempt (the one rule lives in domain/queue-message.ts). */
export const messageId = queueMessageId;

/** The message that asks a worker to run this attempt of a ready task. */
export const messageFor = (task: Task, maxDeliveries: number): QueueMessage => ({
  id: messageId(task.id, task.attempt),
  queue: task.queue,
  taskId: task.id,
  jobId: task.jobId,
  tenantId: task.tenantId,
  attempt: task.attempt,
  priority: task.priority,
  notBefore: task.notBefore,
  maxDeliveries,
});
