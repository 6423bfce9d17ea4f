/** Session events go to the event log with no job (appendEvents), then to the bus. */
import type { EventType, NewEvent } from '../../domain/events.js';
import type { JsonObject } from '../../domain/json.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { EventPublisher } from '../transitions/publisher.js';

export async function recordSessionEvent(
  deps: { jobStore: JobStore; publisher: EventPublisher; logger: Logger },
  type: EventType,
  tenantId: string,
  sessionId: string,
  at: number,
  payload: JsonObject = {},
): Promise<void> {
  const event: NewEvent = {
    type,
    tenantId,
    jobId: null,
    taskId: null,
    sessionId,
    payload,
    correlationId: null,
    at,
  };
  try {
    const recorded = await deps.jobStore.appendEvents([event]);
    await deps.publisher.publish(recorded);
  } catch (e) {
    deps.logger.warn('session event not recorded', {
      type,
      sessionId,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}
