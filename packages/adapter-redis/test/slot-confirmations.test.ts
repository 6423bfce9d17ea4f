/**
 * Slot sets beyond the contract, checked with the raw client: the confirmation set
 * (`…:at`) follows the slot set (same members, same PEXPIRE, dropped together), and a
 * holder written by an older version (no confirmation time) is stamped by the first
 * reconcile and kept, then removed once the grace has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyLayout, RedisRateLimitStore } from '../src/index.js';
import { deletePrefix, randomPrefix, singleRedis } from './support.js';

const target = singleRedis();
const prefix = randomPrefix('slc');
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

const raw = () => target.client();
const serverNow = async () => {
  const [s, us] = await raw().time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

describe('Redis slot confirmations', () => {
  it('the confirmation set holds the same members, expires with the slot set and goes with it', async () => {
    const [slots, at] = keys.slotSet('tenant:t1:jobs');
    const before = await serverNow();
    await limits.acquireSlot('tenant:t1:jobs', 'a', 5, 60_000);
    await limits.acquireSlot('tenant:t1:jobs', 'b', 5, 30_000);
    expect(await raw().zrange(at, 0, -1)).toEqual(['a', 'b']);
    const stamp = Number(await raw().zscore(at, 'a'));
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(await serverNow());
    const [ttlSlots, ttlAt] = [await raw().pttl(slots), await raw().pttl(at)];
    expect(ttlSlots).toBeGreaterThan(55_000);
    expect(Math.abs(ttlSlots - ttlAt)).toBeLessThan(1000);
    await limits.releaseSlot('tenant:t1:jobs', 'a');
    expect(await raw().zrange(at, 0, -1)).toEqual(['b']);
    await limits.releaseSlot('tenant:t1:jobs', 'b');
    await limits.reconcileSlots('tenant:t1:jobs', [], { ttlMs: 1000, graceMs: 0 });
    expect(await raw().exists(slots, at)).toBe(0);
  });

  it('a holder without a confirmation time (older version) is stamped and kept, then removed after the grace', async () => {
    const key = 'tenant:t2:jobs';
    const [slots, at] = keys.slotSet(key);
    await raw().zadd(slots, (await serverNow()) + 60_000, 'legacy');
    const r = await limits.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 300 });
    expect(r).toEqual({ added: 0, removed: 0 });
    expect(await limits.holders(key)).toEqual(['legacy']);
    expect(await raw().zscore(at, 'legacy')).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await limits.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 300 })).toEqual({
      added: 0,
      removed: 1,
    });
    expect(await raw().exists(slots, at)).toBe(0);
  });
});
