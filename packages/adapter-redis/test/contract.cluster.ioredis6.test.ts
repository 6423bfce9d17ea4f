/**
 * The published contract suites and the whole-engine flow on a three-master Redis Cluster
 * started for this file, through an ioredis 6 `Cluster` (the devDependency alias
 * `ioredis6`). The adapter's blocking and subscriber connections are `duplicate()`s of it,
 * so they are ioredis 6 connections too.
 */
import { Cluster as Cluster6, type RedisOptions as Redis6Options } from 'ioredis6';
import { afterAll, beforeAll } from 'vitest';
import { startRedisCluster, type TestRedisCluster } from '../../../test-support/redis.js';
import { fastFailOptions, type RedisClient } from '../src/index.js';
import { redisContractSuites } from './contract-suites.js';
import { engineFlow } from './engine-flow.js';
import type { TestTarget } from './support.js';

function redisCluster6(): TestTarget {
  let cluster: TestRedisCluster | undefined;
  let client: Cluster6 | undefined;
  return {
    name: 'redis-cluster (ioredis 6)',
    // Typed against ioredis 5 in this workspace; a host on ioredis 6 compiles against 6's
    // types (scripts/check-packages.sh type-checks that).
    client: () => {
      if (!client) throw new Error('Redis Cluster not started (call start() in beforeAll)');
      return client as unknown as RedisClient;
    },
    start: async () => {
      cluster = await startRedisCluster();
      const redisOptions = fastFailOptions(2000) as unknown as Redis6Options;
      client = new Cluster6(cluster.nodes, { redisOptions });
      await client.ping();
    },
    stop: async () => {
      client?.disconnect();
      await cluster?.stop();
    },
  };
}

const target = redisCluster6();
beforeAll(() => target.start(), 60_000);
afterAll(() => target.stop());

redisContractSuites(target);
engineFlow(target);
