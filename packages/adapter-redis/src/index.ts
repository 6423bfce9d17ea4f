// Public surface of @dalston/adapter-redis. Keep this file to re-exports only.
export { type RedisAdapters, redisAdapters } from './adapters.js';
export {
  fastFailOptions,
  type RedisClusterOptions,
  type RedisNodeAddress,
  type RedisSentinelOptions,
  reconnectOnReadOnly,
} from './connection.js';
export { RedisEventBus, type RedisEventBusOptions } from './event-bus.js';
export { KeyLayout } from './keys.js';
export type { RedisAdapterCommonOptions, RedisAdapterOptions } from './options.js';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit-store.js';
export type { RedisClient } from './scripts.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session-store.js';
export { RedisWorkQueue, type RedisWorkQueueOptions } from './work-queue.js';
