/** Message builders shared by the WorkQueue contract groups. */
import type { QueueMessage } from '../ports/work-queue.js';
import { randomName } from './harness.js';

/** A valid message for `queue` with a random task (attempt 1), overridable field by field. */
export function queueMessage(queue: string, overrides: Partial<QueueMessage> = {}): QueueMessage {
  const taskId = overrides.taskId ?? randomName('task');
  const attempt = overrides.attempt ?? 1;
  return {
    id: `${taskId}:${attempt}`,
    queue,
    taskId,
    jobId: randomName('job'),
    tenantId: randomName('tenant'),
    attempt,
    priority: 0,
    notBefore: null,
    maxDeliveries: 5,
    ...overrides,
  };
}

/** Lease options with no wait. */
export const noWait = (leaseMs = 500) => ({ leaseMs, waitMs: 0 });
