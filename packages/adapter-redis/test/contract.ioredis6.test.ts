/**
 * The published contract suites and the whole-engine flow on a single Redis, through a
 * client built with ioredis 6 (the devDependency alias `ioredis6` = `npm:ioredis@6`), while
 * the rest of the workspace runs ioredis 5. ioredis 6 speaks RESP3 by default (with
 * RESP2-shaped replies under its default `replyMapping: 'legacy'`), delivers pub/sub as
 * push frames and changed retry and keep-alive defaults: the adapter must work on both.
 * The adapter's own connections (blocking waits, the event bus subscriber) are
 * `duplicate()`s of this client, so they are ioredis 6 connections as well.
 */
import { Redis as Redis6, type RedisOptions as Redis6Options } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../../../test-support/redis.js';
import { fastFailOptions, type RedisClient } from '../src/index.js';
import { redisContractSuites } from './contract-suites.js';
import { engineFlow } from './engine-flow.js';
import type { TestTarget } from './support.js';

function singleRedis6(): TestTarget & { raw(): Redis6 } {
  let client: Redis6 | undefined;
  const raw = (): Redis6 => {
    if (!client) throw new Error('ioredis 6 client not started (call start() in beforeAll)');
    return client;
  };
  return {
    name: 'redis (ioredis 6)',
    raw,
    // The workspace compiles against ioredis 5's types; a host with ioredis 6 compiles
    // against 6's (scripts/check-packages.sh type-checks that in a scratch project).
    client: () => raw() as unknown as RedisClient,
    start: async () => {
      // Same options the adapter uses for its own connections (typed against ioredis 5 here).
      const options = fastFailOptions(2000) as unknown as Redis6Options;
      client = new Redis6(await testRedisUrl(), options);
      await client.ping();
    },
    stop: async () => {
      await client?.quit();
    },
  };
}

const target = singleRedis6();
beforeAll(() => target.start());
afterAll(() => target.stop());

describe('ioredis 6 client', () => {
  it('is ioredis 6, speaking RESP3 to this server', async () => {
    const { default: pkg } = await import('ioredis6/package.json', { with: { type: 'json' } });
    expect(pkg.version).toMatch(/^6\./);
    const hello = (await target.raw().call('HELLO')) as unknown[];
    const proto = hello[hello.indexOf('proto') + 1];
    expect(proto).toBe(3);
  });
});

redisContractSuites(target);
engineFlow(target);
