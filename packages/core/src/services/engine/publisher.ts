/**
 * Publishes recorded events on the EventBus, then marks them published in the outbox.
 * Best effort: a failure is logged and left to the relay (`maintenance.relayEvents`),
 * which republishes whatever stays unpublished.
 */

import type { DalstonEvent } from '../../domain/events.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';

export class EventPublisher {
  static readonly inject = [TOKENS.eventBus, TOKENS.jobStore, TOKENS.logger] as const;

  constructor(
    private readonly bus: EventBus,
    private readonly jobStore: JobStore,
    private readonly logger: Logger,
  ) {}

  /** Never rejects. Returns whether the events were published and marked. */
  async publish(events: readonly DalstonEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    try {
      await this.bus.publish([...events]);
      await this.jobStore.markPublished(events.map((e) => e.id));
      return true;
    } catch (e) {
      this.logger.warn('event publish failed; the relay will retry', {
        error: e instanceof Error ? e.message : String(e),
        firstEventId: events[0]!.id,
      });
      return false;
    }
  }
}
