/**
 * RedisEventBus: PUBLISH on `<prefix>:ev:<tenant>` and `<prefix>:ev:<tenant>:<job>`;
 * subscriptions share one dedicated subscriber connection (a `duplicate()` of the client,
 * opened on first subscribe, closed by `close()`), which ioredis resubscribes after a
 * reconnect. Incoming messages are parsed with zod; a malformed one is dropped with a
 * logged warning.
 *
 * The PUBLISH commands of one `publish` call go out as one pipeline (one write).
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
} from '@dalston/core';
import type { Redis } from 'ioredis';
import { isCluster } from './blocking-wait.js';
import { KeyLayout } from './keys.js';
import type { RedisClient } from './scripts.js';
import { closedError, guard, invalid } from './store-errors.js';

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
    if (!Array.isArray(events)) throw invalid('eventBus', 'publish', 'events', 'must be an array of events');
    const valid = events.map((e, i) => {
      const parsed = dalstonEventSchema.safeParse(e);
      if (parsed.success) return parsed.data;
      const issue = parsed.error.issues[0];
      const field = [`events[${i}]`, ...(issue?.path ?? []).map(String)].join('.');
      throw invalid('eventBus', 'publish', field, issue?.message ?? 'is invalid');
    });
    if (valid.length === 0) return;
    await guard('eventBus', 'publish', async () => {
      const target = this.publisher();
      const messages: [channel: string, payload: string][] = [];
      for (const e of valid) {
        const payload = JSON.stringify(e);
        messages.push([this.keys.tenantChannel(e.tenantId), payload]);
        if (e.jobId !== null) messages.push([this.keys.jobChannel(e.tenantId, e.jobId), payload]);
      }
      if (isCluster(target)) {
        await Promise.all(messages.map(([channel, payload]) => target.publish(channel, payload)));
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
    if (!topic || typeof topic.tenantId !== 'string' || topic.tenantId.length === 0) {
      throw invalid('eventBus', 'subscribe', 'topic.tenantId', 'must be a non-empty string');
    }
    if (typeof handler !== 'function')
      throw invalid('eventBus', 'subscribe', 'handler', 'must be a function');
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
    let event: DalstonEvent;
    try {
      const parsed = dalstonEventSchema.safeParse(JSON.parse(message));
      if (!parsed.success) throw parsed.error;
      event = parsed.data;
    } catch {
      this.logger.warn('dropping a malformed event bus message', { channel, bytes: message.length });
      return;
    }
    for (const h of [...set]) {
      try {
        h(structuredClone(event)); // each subscriber gets its own copy
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
