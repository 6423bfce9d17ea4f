/**
 * Opening the connection the adapter owns, for each topology it accepts from options:
 * one server (`url`), a Sentinel set (`sentinel`) or a Cluster (`cluster`). Every client
 * fails fast (a command while Redis is unreachable rejects within about `commandTimeoutMs`)
 * and reconnects by itself with a capped backoff; on a failover:
 *
 * - a command answered `READONLY` (it reached a primary that was just demoted, so it did
 *   nothing) makes the client reconnect and send it again (`reconnectOnError`);
 * - Sentinel: the client asks the sentinels for the current primary on every reconnect,
 *   checks the `role` of the server it reached (a demoted one is left again), and listens
 *   for `+switch-master` (`failoverDetector`) to leave the old primary at once;
 * - Cluster: a slot that moved or whose node is down is retried after a slot refresh.
 *
 * Blocking and subscriber connections are `duplicate()`s of this client, so they get the
 * same behaviour. Errors never quote the options: passwords live there.
 */
import { DalstonError } from '@dalston/core/adapter';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisClient } from './scripts.js';

/**
 * True when `c` is a Cluster client (the adapter then keeps each multi-key command in one
 * slot, blocks per key and publishes with sharded pub/sub). Duck-typed, so a host on
 * another copy of ioredis still works.
 */
export const isCluster = (c: RedisClient): c is Cluster => (c as { isCluster?: boolean }).isCluster === true;

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** A Sentinel-managed primary. */
export interface RedisSentinelOptions {
  /** At least one sentinel; list them all so one being down does not matter. */
  sentinels: RedisNodeAddress[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  name: string;
  /** Password (and ACL user) of the sentinels, when they require one. */
  sentinelPassword?: string;
  sentinelUsername?: string;
  /** Password (and ACL user) of the Redis servers themselves. */
  password?: string;
  username?: string;
  /** Database number (default 0). */
  db?: number;
  /** TLS to the servers and the sentinels. */
  tls?: boolean;
}

/** A Redis Cluster, found from any of its nodes. */
export interface RedisClusterOptions {
  /** Seed nodes: any reachable one is enough; list several. */
  nodes: RedisNodeAddress[];
  password?: string;
  username?: string;
  tls?: boolean;
}

/** READONLY: the command reached a replica (a demoted primary) and did nothing: reconnect, resend. */
export const reconnectOnReadOnly = (err: Error): 2 | false =>
  typeof err?.message === 'string' && err.message.includes('READONLY') ? 2 : false;

/** Settings that make ioredis fail fast and reconnect with a capped backoff. */
export function fastFailOptions(commandTimeoutMs = 1000): RedisOptions {
  return {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
    reconnectOnError: reconnectOnReadOnly,
  };
}

/** Opens a client on one server. */
export function openUrl(url: string, commandTimeoutMs: number | undefined): Redis {
  try {
    return new Redis(url, fastFailOptions(commandTimeoutMs));
  } catch {
    // ioredis quotes a URL it cannot parse (password included): name the option only.
    throw new DalstonError(
      'VALIDATION_FAILED',
      '@dalston/adapter-redis: option url is not a valid redis:// URL',
      {
        field: 'url',
      },
    );
  }
}

/** Opens a client on the primary the sentinels name, following failovers. */
export function openSentinel(o: RedisSentinelOptions, commandTimeoutMs: number | undefined): Redis {
  return new Redis({
    ...fastFailOptions(commandTimeoutMs),
    sentinels: o.sentinels,
    name: o.name,
    role: 'master',
    ...(o.sentinelPassword !== undefined ? { sentinelPassword: o.sentinelPassword } : {}),
    ...(o.sentinelUsername !== undefined ? { sentinelUsername: o.sentinelUsername } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    // While no sentinel answers, try again every second at most (default: give up never).
    sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
  });
}

/** Opens a Cluster client; reads and writes go to masters only. */
export function openCluster(o: RedisClusterOptions, commandTimeoutMs: number | undefined): Cluster {
  const redisOptions: RedisOptions = {
    ...fastFailOptions(commandTimeoutMs),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.tls ? { tls: {} } : {}),
  };
  const options: ClusterOptions = {
    redisOptions,
    scaleReads: 'master',
    enableOfflineQueue: true,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    clusterRetryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  return new Cluster(o.nodes, options);
}
