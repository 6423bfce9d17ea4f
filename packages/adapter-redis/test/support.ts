/**
 * Test helpers for the Redis adapter: a shared client per test file (single Redis or a
 * three-master Cluster), fixtures with their own random key prefix, and a raw SCAN of a
 * prefix over every master (the second channel tests read through).
 */
import { randomBytes } from 'node:crypto';
import type { QueueMessage } from '@dalston/core/adapter';
import type { PortFactory } from '@dalston/core/contract';
import { realTime } from '@dalston/core/contract';
import { Cluster, Redis } from 'ioredis';
import { pollUntil } from '../../../test-support/poll.js';
import { startRedisCluster, type TestRedisCluster, testRedisUrl } from '../../../test-support/redis.js';
import { fastFailOptions, type RedisClient } from '../src/index.js';

export const randomPrefix = (label: string): string => `dt-${label}-${randomBytes(4).toString('hex')}`;

export interface TestTarget {
  name: string;
  client(): RedisClient;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function singleRedis(): TestTarget {
  let client: Redis | undefined;
  return {
    name: 'redis',
    client: () => {
      if (!client) throw new Error('single Redis not started (call start() in beforeAll)');
      return client;
    },
    start: async () => {
      client = new Redis(await testRedisUrl(), fastFailOptions(2000));
      await client.ping();
    },
    stop: async () => {
      await client?.quit();
    },
  };
}

export function redisCluster(): TestTarget {
  let cluster: TestRedisCluster | undefined;
  let client: Cluster | undefined;
  return {
    name: 'redis-cluster',
    client: () => {
      if (!client) throw new Error('Redis Cluster not started (call start() in beforeAll)');
      return client;
    },
    start: async () => {
      cluster = await startRedisCluster();
      client = new Cluster(cluster.nodes, { redisOptions: fastFailOptions(2000) });
      await client.ping();
    },
    stop: async () => {
      client?.disconnect();
      await cluster?.stop();
    },
  };
}

/** Every key of `prefix`, on every master. */
export async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  const nodes: Redis[] =
    'isCluster' in client && client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  const out: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out.sort();
}

/** Deletes every key of `prefix` (one DEL per key: keys live in many slots). */
export async function deletePrefix(client: RedisClient, prefix: string): Promise<void> {
  const keys = await keysOf(client, prefix);
  await Promise.all(keys.map((k) => client.del(k)));
}

/** A contract factory: a fresh port on its own prefix; cleanup closes it and deletes its keys. */
export function portFactory<T extends { close(): Promise<void> }>(
  target: TestTarget,
  label: string,
  make: (client: RedisClient, prefix: string) => T,
): PortFactory<T> {
  return async () => {
    const prefix = randomPrefix(label);
    const client = target.client();
    const port = make(client, prefix);
    return {
      port,
      time: realTime,
      cleanup: async () => {
        await port.close();
        await deletePrefix(client, prefix);
      },
    };
  };
}

export const waitFor = async (check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> => {
  await pollUntil(check, { timeoutMs, everyMs: 20 });
};

/** A valid queue message for `queue` (random task, attempt 1), overridable field by field. */
export function message(queue: string, overrides: Partial<QueueMessage> = {}): QueueMessage {
  const taskId = overrides.taskId ?? `task-${randomBytes(5).toString('hex')}`;
  const attempt = overrides.attempt ?? 1;
  return {
    id: `${taskId}:${attempt}`,
    queue,
    taskId,
    jobId: `job-${randomBytes(4).toString('hex')}`,
    tenantId: 'tenant-a',
    attempt,
    priority: 0,
    notBefore: null,
    maxDeliveries: 5,
    ...overrides,
  };
}
