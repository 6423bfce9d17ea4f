/**
 * MemoryEventBus: the EventBus port in process. Each publish is delivered in one
 * microtask (never re-entering the publisher), in publish order, to the tenant topic and
 * the job topic. Every subscriber gets its own deep copy; a throwing handler is caught
 * (and logged when a logger is given) and never disturbs other subscribers.
 */
import {
  type Clock,
  DalstonError,
  type DalstonEvent,
  type EventBus,
  type EventTopic,
  type Logger,
  type Subscription,
} from '@dalston/core/adapter';

export interface MemoryEventBusOptions {
  /** Unused by the bus itself; accepted so every memory adapter takes the same options. */
  clock?: Clock;
  /** Where handler errors are reported (warn). Default: dropped silently. */
  logger?: Logger;
}

interface Subscriber {
  handler: (event: DalstonEvent) => void;
  active: boolean;
}

/** Topic names, as the Redis adapter's channels: one per tenant, one per job. */
const tenantTopic = (tenantId: string) => `tenant:${tenantId}`;
const jobTopic = (tenantId: string, jobId: string) => `job:${tenantId}:${jobId}`;

export class MemoryEventBus implements EventBus {
  private readonly topics = new Map<string, Set<Subscriber>>();
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(options: MemoryEventBusOptions = {}) {
    this.logger = options.logger;
  }

  async publish(events: DalstonEvent[]): Promise<void> {
    this.assertOpen('publish');
    // Snapshot now: what is published travels as data, like a message on the wire.
    const deliveries = events.map((event) => ({
      json: JSON.stringify(event),
      targets: [
        ...(this.topics.get(tenantTopic(event.tenantId)) ?? []),
        ...(event.jobId ? (this.topics.get(jobTopic(event.tenantId, event.jobId)) ?? []) : []),
      ],
    }));
    if (deliveries.every((d) => d.targets.length === 0)) return;
    queueMicrotask(() => {
      for (const { json, targets } of deliveries) {
        for (const sub of targets) this.deliver(sub, json);
      }
    });
  }

  async subscribe(topic: EventTopic, handler: (event: DalstonEvent) => void): Promise<Subscription> {
    this.assertOpen('subscribe');
    const name = topic.jobId ? jobTopic(topic.tenantId, topic.jobId) : tenantTopic(topic.tenantId);
    const sub: Subscriber = { handler, active: true };
    let subs = this.topics.get(name);
    if (!subs) {
      subs = new Set();
      this.topics.set(name, subs);
    }
    subs.add(sub);
    return {
      unsubscribe: async () => {
        sub.active = false;
        const current = this.topics.get(name);
        current?.delete(sub);
        if (current?.size === 0) this.topics.delete(name);
      },
    };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subs of this.topics.values()) for (const sub of subs) sub.active = false;
    this.topics.clear();
  }

  /** Test helper: topics with at least one subscriber. */
  size(): number {
    return this.topics.size;
  }

  private deliver(sub: Subscriber, json: string): void {
    if (!sub.active) return;
    const report = (e: unknown) =>
      this.logger?.warn('eventBus: a subscriber threw; the event was still delivered to the others', {
        error: e instanceof Error ? e.message : String(e),
      });
    try {
      const result: unknown = sub.handler(JSON.parse(json) as DalstonEvent);
      // An async handler's rejection is caught too (never an unhandled rejection).
      if (result instanceof Promise) result.catch(report);
    } catch (e) {
      report(e);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new DalstonError('CLOSED', `eventBus.${operation}: the bus is closed`, {
        store: 'eventBus',
        operation,
      });
    }
  }
}
