/**
 * RedisEventBus: PUBLISH on `<prefix>:ev:<tenant>` and `<prefix>:ev:<tenant>:<job>`;
 * subscriptions share one dedicated subscriber connection (a `duplicate()` of the client,
 * opened on first subscribe, closed by `close()`), which ioredis resubscribes after a
 * reconnect. Incoming messages are parsed with zod (the trust boundary: anything on the
 * channel may have been written by anyone); a malformed event is dropped with a logged
 * warning. `publish` checks only what it needs to route (an object with a tenant id and a
 * job id or null): the events come from the engine's own event log.
 *
 * One `publish` call sends one PUBLISH per channel it touches: the call's events for that
 * channel as one JSON array, in order (a single event travels as one object, as before
 * arrays were sent; subscribers read both). The PUBLISH commands of one call go out as one
 * pipeline (one write).
 * On a Cluster, classic pub/sub is broadcast to every node; publishes go through one
 * chosen master so one publisher's events keep their order.
 */
import {
  type DalstonEvent,
  dalstonEventSchema,
  type EventBus,
  type EventTopic,
  type Logger,
  type Subscription,
  silentLogger,
} from '@dalston/core/adapter';
import type { Redis } from 'ioredis';
import { isCluster } from './connection.js';
import { KeyLayout } from './keys.js';
import type { RedisClient } from './scripts.js';
import { closedError, guard } from './store-errors.js';

export interface RedisEventBusOptions {
  client: RedisClient;
  prefix?: string;
  logger?: Logger;
}

type Handler = (event: DalstonEvent) => void;

export class RedisEventBus implements EventBus {
  private readonly client: RedisClient;
  private readonly keys: KeyLayout;
  private readonly logger: Logger;
  private subscriber: RedisClient | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private closed = false;

  constructor(options: RedisEventBusOptions) {
    this.client = options.client;
    this.keys = new KeyLayout(options.prefix ?? 'dalston');
    this.logger = options.logger ?? silentLogger;
  }

  async publish(events: DalstonEvent[]): Promise<void> {
    this.assertOpen('publish');
    if (events.length === 0) return;
    // Channel -> its events in publish order (a Map keeps first-insertion order of channels).
    const byChannel = new Map<string, DalstonEvent[]>();
    const add = (channel: string, e: DalstonEvent) => {
      const list = byChannel.get(channel);
      if (list) list.push(e);
      else byChannel.set(channel, [e]);
    };
    for (const e of events) {
      add(this.keys.tenantChannel(e.tenantId), e);
      if (e.jobId !== null) add(this.keys.jobChannel(e.tenantId, e.jobId), e);
    }
    await guard('eventBus', 'publish', async () => {
      const target = this.publisher();
      const messages: [channel: string, payload: string][] = [];
      for (const [channel, list] of byChannel) {
        messages.push([channel, JSON.stringify(list.length === 1 ? list[0] : list)]);
      }
      if (isCluster(target)) {
        await Promise.all(messages.map(([channel, payload]) => target.publish(channel, payload)));
        return;
      }
      if (messages.length === 1) {
        await target.publish(messages[0]![0], messages[0]![1]);
        return;
      }
      // One pipeline: one socket write for every PUBLISH of the call, sent in order.
      const pipeline = target.pipeline();
      for (const [channel, payload] of messages) pipeline.publish(channel, payload);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0];
    });
  }

  async subscribe(topic: EventTopic, handler: Handler): Promise<Subscription> {
    this.assertOpen('subscribe');
    const channel =
      topic.jobId === undefined
        ? this.keys.tenantChannel(topic.tenantId)
        : this.keys.jobChannel(topic.tenantId, topic.jobId);
    await guard('eventBus', 'subscribe', async () => {
      const set = this.handlers.get(channel) ?? new Set<Handler>();
      this.handlers.set(channel, set);
      const first = set.size === 0;
      set.add(handler);
      if (first) {
        try {
          await this.ensureSubscriber().subscribe(channel);
        } catch (e) {
          set.delete(handler);
          if (set.size === 0) this.handlers.delete(channel);
          throw e;
        }
      }
    });
    let active = true;
    return {
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        const set = this.handlers.get(channel);
        if (!set?.delete(handler) || set.size > 0) return;
        this.handlers.delete(channel);
        if (this.closed || !this.subscriber) return;
        await guard('eventBus', 'unsubscribe', async () => {
          await this.subscriber?.unsubscribe(channel);
        });
      },
    };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    await guard('eventBus', 'ping', async () => {
      await this.client.ping();
    });
  }

  /** Closes the subscriber connection it opened; the shared client stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const sub = this.subscriber;
    this.subscriber = null;
    sub?.disconnect();
  }

  private publisher(): RedisClient | Redis {
    if (!isCluster(this.client)) return this.client;
    const masters = this.client.nodes('master');
    const sorted = [...masters].sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
    return sorted.find((n) => n.status === 'ready') ?? this.client;
  }

  private ensureSubscriber(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const sub = this.client.duplicate();
    sub.on('error', (err: Error) =>
      this.logger.warn('event bus subscriber connection error', { error: err.message }),
    );
    sub.on('message', (channel: string, message: string) => this.deliver(channel, message));
    this.subscriber = sub;
    return sub;
  }

  private deliver(channel: string, message: string): void {
    const set = this.handlers.get(channel);
    if (!set || set.size === 0) return;
    let items: unknown[];
    try {
      const parsed: unknown = JSON.parse(message);
      items = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      items = [undefined];
    }
    for (const item of items) {
      const parsed = dalstonEventSchema.safeParse(item);
      if (!parsed.success) {
        this.logger.warn('dropping a malformed event bus message', { channel, bytes: message.length });
        continue;
      }
      this.dispatch(channel, set, parsed.data);
    }
  }

  private dispatch(channel: string, set: Set<Handler>, event: DalstonEvent): void {
    const many = set.size > 1;
    for (const h of [...set]) {
      try {
        h(many ? structuredClone(event) : event); // each subscriber gets its own copy
      } catch (e) {
        this.logger.warn('event handler threw', {
          channel,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw closedError('eventBus', operation);
  }
}

const nodeName = (n: Redis): string => `${n.options.host}:${n.options.port}`;
