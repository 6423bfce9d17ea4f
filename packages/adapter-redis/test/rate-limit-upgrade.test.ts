/**
 * The fixed-window layout changed from one hash {a: 'fixed', ws, c} to one field per
 * window ({<window start>: count}). A key still in the earlier layout when the new script
 * first hits it in a window must not lose its live count (an upgrade would over-admit):
 * the count of the current window is carried over, an older window's is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLayout, RedisRateLimitStore } from '../src/index.js';
import { deletePrefix, randomPrefix, singleRedis } from './support.js';

const HOUR = 3_600_000; // windows aligned to the epoch: a test never straddles two
const target = singleRedis();
const prefix = randomPrefix('rlu');
const keys = new KeyLayout(prefix);
let limits: RedisRateLimitStore;
beforeAll(async () => {
  await target.start();
  limits = new RedisRateLimitStore({ client: target.client(), prefix });
});
afterAll(async () => {
  await deletePrefix(target.client(), prefix);
  await target.stop();
});

const serverWindowStart = async () => {
  const [secs, micros] = (await target.client().time()) as [string | number, string | number];
  const now = Number(secs) * 1000 + Math.floor(Number(micros) / 1000);
  return now - (now % HOUR);
};

/** Writes `count` for window `ws` the way the earlier fixed-window script did. */
const earlierLayout = async (raw: string, ws: number, count: number) => {
  await target.client().hset(raw, 'a', 'fixed', 'ws', String(ws), 'c', String(count));
  await target.client().pexpireat(raw, ws + HOUR);
};

describe('fixed window: keys written by the earlier layout', () => {
  const policy = { algorithm: 'fixed' as const, limit: 3, windowMs: HOUR };

  it("carries this window's live count over: no hit beyond the limit is admitted", async () => {
    const key = `carry-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const ws = await serverWindowStart();
    await earlierLayout(raw, ws, 2);
    expect(await limits.hit(key, policy)).toMatchObject({ allowed: true, remaining: 0, resetAt: ws + HOUR });
    expect(await limits.hit(key, policy)).toMatchObject({ allowed: false, remaining: 0 });
    expect(await target.client().hgetall(raw)).toEqual({ [String(ws)]: '3' });
    expect(Number(await target.client().pexpiretime(raw))).toBe(ws + HOUR);
  });

  it('a live count already at the limit denies the first new hit and is kept', async () => {
    const key = `full-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const ws = await serverWindowStart();
    await earlierLayout(raw, ws, 3);
    const got = await limits.hit(key, policy);
    expect(got).toMatchObject({ allowed: false, remaining: 0, resetAt: ws + HOUR });
    expect(got.retryAfterMs).toBeGreaterThan(0);
    expect(got.retryAfterMs).toBeLessThanOrEqual(HOUR);
    expect(await target.client().hgetall(raw)).toEqual({ [String(ws)]: '3' });
    expect(await limits.hit(key, policy)).toMatchObject({ allowed: false });
  });

  it("an older window's count in the earlier layout counts for nothing", async () => {
    const key = `stale-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const ws = await serverWindowStart();
    await earlierLayout(raw, ws - HOUR, 3);
    await target.client().pexpire(raw, HOUR); // still there, as a lagging expiry would leave it
    expect(await limits.hit(key, policy)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await target.client().hgetall(raw)).toEqual({ [String(ws)]: '1' });
  });

  it("another algorithm's state in the earlier layout counts for nothing", async () => {
    const key = `other-${Math.random()}`;
    const raw = keys.rateLimit(key);
    const ws = await serverWindowStart();
    await target.client().hset(raw, 'a', 'sliding', 'ws', String(ws), 'p', '3', 'c', '3');
    expect(await limits.hit(key, policy, 3)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await target.client().hgetall(raw)).toEqual({ [String(ws)]: '3' });
  });
});
