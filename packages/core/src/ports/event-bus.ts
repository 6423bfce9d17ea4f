/**
 * EventBus: live fan-out of recorded events to subscribers (Redis pub/sub in
 * production). Best effort and at-most-once on its own: the guarantee of delivery
 * comes from the event log (JobStore) and resume-by-id in core.
 *
 * Deliberately left out: persistence and replay (the event log's).
 * Failures reject with STORE_UNAVAILABLE (`store: 'eventBus'`).
 */
import type { DalstonEvent } from '../domain/events.js';
import type { PortLifecycle } from './lifecycle.js';

export interface EventTopic {
  tenantId: string;
  /** Only this job's events; omit for every event of the tenant. */
  jobId?: string;
}

export interface Subscription {
  /** Stops delivery. Idempotent. */
  unsubscribe(): Promise<void>;
}

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface EventBus extends PortLifecycle {
  /** Publishes to the tenant's topic and, when `jobId` is set, the job's topic. */
  publish(events: DalstonEvent[]): Promise<void>;
  /**
   * Calls `handler` for each event published on the topic from now on, in publish
   * order per publisher. Survives reconnects (resubscribes by itself). A malformed
   * message read back is dropped and logged, never passed on.
   */
  subscribe(topic: EventTopic, handler: (event: DalstonEvent) => void): Promise<Subscription>;
}
