/**
 * `redisAdapters(options)`: the four Redis-backed ports on one shared client, plus
 * `close()`, which closes the ports (their blocking and subscriber connections) and the
 * client only when the adapter opened it from a `url`.
 */
import { RedisEventBus } from './event-bus.js';
import { type RedisAdapterOptions, resolveOptions } from './options.js';
import { RedisRateLimitStore } from './rate-limit-store.js';
import type { RedisClient } from './scripts.js';
import { RedisSessionStore } from './session-store.js';
import { RedisWorkQueue } from './work-queue.js';

export interface RedisAdapters {
  workQueue: RedisWorkQueue;
  sessionStore: RedisSessionStore;
  rateLimitStore: RedisRateLimitStore;
  eventBus: RedisEventBus;
  /** The client in use (the host's, or the one opened from `url`). */
  client: RedisClient;
  /** Closes the ports, and the client when the adapter opened it. Idempotent. */
  close(): Promise<void>;
}

export function redisAdapters(options: RedisAdapterOptions): RedisAdapters {
  const { client, ownsClient, prefix, logger } = resolveOptions(options);
  const common = { client, prefix, logger };
  const workQueue = new RedisWorkQueue(common);
  const sessionStore = new RedisSessionStore(common);
  const rateLimitStore = new RedisRateLimitStore(common);
  const eventBus = new RedisEventBus(common);
  let closed = false;
  return {
    workQueue,
    sessionStore,
    rateLimitStore,
    eventBus,
    client,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all([workQueue.close(), sessionStore.close(), rateLimitStore.close(), eventBus.close()]);
      if (ownsClient) {
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      }
    },
  };
}
