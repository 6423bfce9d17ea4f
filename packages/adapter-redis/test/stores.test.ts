/**
 * SessionStore, RateLimitStore and options beyond the contract: raw Redis checks of TTLs
 * and key layout, the tenant index pruned on read, the Lua rate limits against core's
 * reference math, and option validation messages.
 */
import {
  applyRateLimit,
  type LiveSession,
  type RateLimitPolicy,
  type RateLimitState,
} from '@dalston/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLayout, RedisRateLimitStore, RedisSessionStore, redisAdapters } from '../src/index.js';
import { deletePrefix, keysOf, randomPrefix, singleRedis, waitFor } from './support.js';

const target = singleRedis();
const prefix = randomPrefix('st');
const keys = new KeyLayout(prefix);
let sessions: RedisSessionStore;
let limits: RedisRateLimitStore;
beforeAll(async () => {
  await target.start();
  sessions = new RedisSessionStore({ client: target.client(), prefix });
  limits = new RedisRateLimitStore({ client: target.client(), prefix });
});
afterAll(async () => {
  await deletePrefix(target.client(), prefix);
  await target.stop();
});

const session = (tenantId: string, id: string): LiveSession => {
  const now = Date.now();
  return {
    id,
    tenantId,
    status: 'active',
    workerId: null,
    fields: { a: 1 },
    version: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: now,
  };
};

describe('RedisSessionStore (raw Redis checks)', () => {
  it('one hash per session with a millisecond TTL; the index lives in its own tag', async () => {
    await sessions.create(session('t-raw', 's1'), 5000);
    const key = keys.session('t-raw', 's1');
    const pttl = await target.client().pttl(key);
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(await target.client().hget(key, 'f:a')).toBe('1');
    const [exp, lex] = keys.sessionIndex('t-raw');
    expect(await target.client().zscore(lex, 's1')).toBe('0');
    expect(await target.client().pttl(exp)).toBeGreaterThan(4000);
    await sessions.touch('t-raw', 's1', 60_000);
    expect(await target.client().pttl(key)).toBeGreaterThan(50_000);
  });

  it('the tenant index never lists an expired session and is pruned on read', async () => {
    await sessions.create(session('t-exp', 'short'), 150);
    await sessions.create(session('t-exp', 'long'), 10_000);
    const [exp] = keys.sessionIndex('t-exp');
    await waitFor(async () => (await target.client().exists(keys.session('t-exp', 'short'))) === 0);
    const page = await sessions.list('t-exp', 10);
    expect(page.sessions.map((s) => s.id)).toEqual(['long']);
    expect(await target.client().zrange(exp, 0, -1)).toEqual(['long']);
    await sessions.delete('t-exp', 'long');
    expect((await keysOf(target.client(), prefix)).filter((k) => k.includes('t-exp'))).toEqual([]);
  });

  it('a corrupt session hash reads as gone (logged), never a crash', async () => {
    await sessions.create(session('t-bad', 's1'), 5000);
    await target.client().hset(keys.session('t-bad', 's1'), 'f:a', '{broken');
    expect(await sessions.get('t-bad', 's1')).toBeNull();
  });
});

describe('RedisRateLimitStore against the reference math', () => {
  const policies: RateLimitPolicy[] = [
    { algorithm: 'fixed', limit: 7, windowMs: 400 },
    { algorithm: 'sliding', limit: 7, windowMs: 400 },
    { algorithm: 'gcra', limit: 7, windowMs: 400, burst: 3 },
  ];
  const serverNow = async () => {
    const [secs, micros] = (await target.client().time()) as [string | number, string | number];
    return Number(secs) * 1000 + Math.floor(Number(micros) / 1000);
  };
  for (const policy of policies) {
    it(`${policy.algorithm}: every decision equals core's at the server's time`, async () => {
      const key = `ref-${policy.algorithm}-${Math.random()}`;
      let state: RateLimitState | null = null;
      let denied = 0;
      for (let i = 0; i < 25; i++) {
        const cost = i % 3 === 0 ? 2 : 1;
        const before = await serverNow();
        const got = await limits.hit(key, policy, cost);
        const after = await serverNow();
        // The script ran at some ms in [before, after]: one of them must give core's decision.
        let match: RateLimitState | null = null;
        for (let now = before; now <= after && !match; now++) {
          const expected = applyRateLimit(state, policy, now, cost);
          if (JSON.stringify(expected.decision) === JSON.stringify(got)) match = expected.state;
        }
        expect(
          match,
          `hit ${i}: ${JSON.stringify(got)} is not core's decision in [${before}, ${after}]`,
        ).not.toBeNull();
        state = match;
        if (!got.allowed) denied++;
        await new Promise((r) => setTimeout(r, 5 + (i % 4) * 15));
      }
      expect(denied).toBeGreaterThan(0);
    });
  }
});

describe('RedisRateLimitStore writes', () => {
  // An hour-long window (aligned to the epoch) so the test never straddles two windows; a
  // raw PEXPIRE longer than any window shows whether a hit touched the expiry.
  const HOUR = 3_600_000;
  const marker = 2 * HOUR;
  const windowField = (now: number) => String(now - (now % HOUR));

  it('fixed: one field per window, counted with HINCRBY; a denial leaves it as it was', async () => {
    const policy = { algorithm: 'fixed' as const, limit: 2, windowMs: HOUR };
    const key = `w-fixed-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const c = target.client();
    const first = await limits.hit(key, policy);
    expect(first.allowed).toBe(true);
    const field = String(first.resetAt - HOUR);
    expect(await c.hgetall(raw)).toEqual({ [field]: '1' });
    expect(Number(await c.pexpiretime(raw))).toBe(first.resetAt); // the window's end
    await c.pexpire(raw, 3 * HOUR);
    expect((await limits.hit(key, policy)).allowed).toBe(true);
    expect(await c.pttl(raw)).toBeGreaterThan(marker); // expiry untouched within the window
    expect(await c.hgetall(raw)).toEqual({ [field]: '2' });
    expect(await limits.hit(key, policy)).toMatchObject({ allowed: false, remaining: 0 });
    expect(await limits.hit(key, policy, 5)).toMatchObject({ allowed: false, retryAfterMs: HOUR });
    expect(await c.pttl(raw)).toBeGreaterThan(marker);
    expect(await c.hgetall(raw)).toEqual({ [field]: '2' });
  });

  it('sliding: counts with HINCRBY within a window and writes nothing on a denial', async () => {
    const policy = { algorithm: 'sliding' as const, limit: 2, windowMs: HOUR };
    const key = `w-sliding-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const c = target.client();
    expect((await limits.hit(key, policy)).allowed).toBe(true);
    const ttl = await c.pttl(raw);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2 * HOUR);
    await c.pexpire(raw, 3 * HOUR);
    const before = await c.hgetall(raw);
    expect((await limits.hit(key, policy)).allowed).toBe(true);
    expect(await c.pttl(raw)).toBeGreaterThan(marker); // expiry untouched within the window
    expect(await c.hgetall(raw)).toEqual({ ...before, c: String(Number(before.c) + 1) });
    const full = await c.hgetall(raw);
    expect((await limits.hit(key, policy)).allowed).toBe(false);
    expect(await c.pttl(raw)).toBeGreaterThan(marker);
    expect(await c.hgetall(raw)).toEqual(full);
  });

  it('a key whose algorithm changes keeps no field of the old one', async () => {
    const key = `w-switch-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const fields = async () => Object.keys(await target.client().hgetall(raw)).sort();
    await limits.hit(key, { algorithm: 'sliding', limit: 5, windowMs: HOUR });
    expect(await fields()).toEqual(['a', 'c', 'p', 'ws']);
    const fixed = await limits.hit(key, { algorithm: 'fixed', limit: 5, windowMs: HOUR });
    expect(await fields()).toEqual([String(fixed.resetAt - HOUR)]);
    await limits.hit(key, { algorithm: 'gcra', limit: 5, windowMs: HOUR });
    expect(await fields()).toEqual(['a', 'at', 'l']);
    await limits.hit(key, { algorithm: 'fixed', limit: 5, windowMs: HOUR });
    await limits.hit(key, { algorithm: 'sliding', limit: 5, windowMs: HOUR });
    expect(await fields()).toEqual(['a', 'c', 'p', 'ws']);
  });

  it('fixed: a field of an older window is never counted and is dropped', async () => {
    const key = `w-old-window-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const c = target.client();
    const older = String(Number(windowField(Date.now())) - HOUR);
    await c.hset(raw, older, '5'); // as if the previous window's key had not expired yet
    const got = await limits.hit(key, { algorithm: 'fixed', limit: 2, windowMs: HOUR });
    expect(got).toMatchObject({ allowed: true, remaining: 1 });
    expect(await c.hgetall(raw)).toEqual({ [String(got.resetAt - HOUR)]: '1' });
  });

  it('gcra: a denial writes nothing', async () => {
    const key = `w-gcra-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const policy = { algorithm: 'gcra' as const, limit: 1, windowMs: HOUR, burst: 1 };
    expect((await limits.hit(key, policy)).allowed).toBe(true);
    await target.client().pexpire(raw, 3 * HOUR);
    const full = await target.client().hgetall(raw);
    expect((await limits.hit(key, policy)).allowed).toBe(false);
    expect(await target.client().pttl(raw)).toBeGreaterThan(marker);
    expect(await target.client().hgetall(raw)).toEqual(full);
  });
});

describe('options', () => {
  it('rejects bad options with VALIDATION_FAILED naming the option', () => {
    expect(() => redisAdapters({} as never)).toThrow(/pass one of \{ client \}/);
    expect(() => redisAdapters({ url: 'http://x' })).toThrowError(/option url must be a redis:\/\//);
    expect(() => redisAdapters({ url: 'redis://127.0.0.1:1', prefix: 'a{b}' })).toThrowError(/option prefix/);
    expect(() => redisAdapters({ client: {} as never })).toThrowError(/option client must be an ioredis/);
  });

  it('closes only what it opened', async () => {
    const host = target.client();
    const adapters = redisAdapters({ client: host, prefix });
    await adapters.workQueue.ping();
    await adapters.close();
    expect(await host.ping()).toBe('PONG');
  });
});
