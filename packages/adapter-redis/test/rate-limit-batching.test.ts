/**
 * RedisRateLimitStore sends the hits of one tick as one pipeline. Batched hits stay exact
 * and independent: each gets its own decision, a bad one fails alone with
 * VALIDATION_FAILED, a lost script cache (NOSCRIPT) is reloaded for the whole batch, and a
 * dead server fails every hit of the batch with STORE_UNAVAILABLE. The NOSCRIPT and kill
 * cases run on a private redis-server, never the shared one.
 */
import { guardPortNamed, type RateLimitPolicy } from '@dalston/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedisServer } from '../../../test-support/redis.js';
import { type RedisAdapters, RedisRateLimitStore, redisAdapters } from '../src/index.js';
import { deletePrefix, randomPrefix, singleRedis } from './support.js';

const HOUR = 3_600_000; // windows aligned to the epoch: a test never straddles two
const target = singleRedis();
const prefix = randomPrefix('rlb');
let limits: RedisRateLimitStore;
const rawLimits = () => limits;
beforeAll(async () => {
  await target.start();
  limits = new RedisRateLimitStore({ client: target.client(), prefix });
});
afterAll(async () => {
  await deletePrefix(target.client(), prefix);
  await target.stop();
});

describe('RedisRateLimitStore batched hits (shared server)', () => {
  for (const algorithm of ['fixed', 'sliding', 'gcra'] as const) {
    it(`${algorithm}: 300 concurrent hits, limit 100: exactly 100 admitted, each remaining once`, async () => {
      const policy = { algorithm, limit: 100, windowMs: HOUR } as RateLimitPolicy;
      const key = `exact-${algorithm}-${Math.random()}`;
      const got = await Promise.all(Array.from({ length: 300 }, () => limits.hit(key, policy)));
      const admitted = got.filter((d) => d.allowed);
      expect(admitted).toHaveLength(100);
      expect(admitted.map((d) => d.remaining).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i),
      );
      for (const d of got.filter((x) => !x.allowed)) {
        expect(d).toMatchObject({ remaining: 0, limit: 100 });
        expect(d.retryAfterMs).toBeGreaterThan(0);
      }
    });
  }

  it('hits of one tick on different keys and policies each get their own decision', async () => {
    const fixed = { algorithm: 'fixed' as const, limit: 2, windowMs: HOUR };
    const gcra = { algorithm: 'gcra' as const, limit: 5, windowMs: HOUR, burst: 1 };
    const k = `mixed-${Math.random()}`;
    const got = await Promise.all([
      limits.hit(`${k}-a`, fixed),
      limits.hit(`${k}-b`, fixed, 2),
      limits.hit(`${k}-a`, fixed),
      limits.hit(`${k}-a`, fixed),
      limits.hit(`${k}-g`, gcra),
      limits.hit(`${k}-g`, gcra),
    ]);
    expect(got.map((d) => d.allowed)).toEqual([true, true, true, false, true, false]);
    expect(got.map((d) => d.remaining)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(got[4]!.limit).toBe(5);
  });

  it("behind core's guard, a bad hit fails alone with VALIDATION_FAILED; a mutated policy is validated again", async () => {
    const limits = guardPortNamed('rateLimitStore', rawLimits());
    const policy = { algorithm: 'fixed' as const, limit: 3, windowMs: HOUR };
    const k = `bad-${Math.random()}`;
    const [ok1, badCost, badKey, ok2] = await Promise.allSettled([
      limits.hit(k, policy),
      limits.hit(k, policy, 0),
      limits.hit('', policy),
      limits.hit(k, policy),
    ]);
    expect(ok1).toMatchObject({ status: 'fulfilled', value: { allowed: true, remaining: 2 } });
    expect(ok2).toMatchObject({ status: 'fulfilled', value: { allowed: true, remaining: 1 } });
    expect(badCost).toMatchObject({
      status: 'rejected',
      reason: { code: 'VALIDATION_FAILED', field: 'cost' },
    });
    expect(badKey).toMatchObject({ status: 'rejected', reason: { code: 'VALIDATION_FAILED', field: 'key' } });
    policy.limit = 0; // the same object, now invalid: not served from the validation cache
    await expect(limits.hit(k, policy)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      store: 'rateLimitStore',
      operation: 'hit',
      field: 'policy.limit',
    });
    policy.limit = 3;
    expect(await limits.hit(k, policy)).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe('RedisRateLimitStore batched hits (private server)', () => {
  let server: PrivateRedis;
  let adapters: RedisAdapters;
  beforeAll(async () => {
    server = await startRedisServer();
    adapters = redisAdapters({ url: server.url, prefix: 'rlb' });
    await adapters.rateLimitStore.ping();
  });
  afterAll(async () => {
    await adapters?.close();
    await server?.stop();
  });

  it('reloads the scripts for a whole batch after SCRIPT FLUSH (NOSCRIPT), counting each hit once', async () => {
    const policy = { algorithm: 'fixed' as const, limit: 10, windowMs: HOUR };
    const { rateLimitStore } = adapters;
    expect((await rateLimitStore.hit('ns', policy)).remaining).toBe(9);
    await adapters.client.script('FLUSH');
    const got = await Promise.all(Array.from({ length: 12 }, () => rateLimitStore.hit('ns', policy)));
    expect(got.filter((d) => d.allowed)).toHaveLength(9);
    expect(
      got
        .filter((d) => d.allowed)
        .map((d) => d.remaining)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fails every hit of a batch with STORE_UNAVAILABLE when the server is gone', async () => {
    const policy = { algorithm: 'gcra' as const, limit: 10, windowMs: HOUR };
    await server.kill();
    const got = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => adapters.rateLimitStore.hit(`down-${i}`, policy)),
    );
    for (const r of got) {
      expect(r).toMatchObject({
        status: 'rejected',
        reason: { code: 'STORE_UNAVAILABLE', store: 'rateLimitStore', operation: 'hit' },
      });
    }
  });
});
