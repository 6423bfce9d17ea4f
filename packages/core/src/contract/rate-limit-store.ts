/**
 * RateLimitStore contract: each algorithm (fixed, sliding, GCRA) admits what its math
 * says and reports retryAfterMs that really is enough; hits are exact under concurrency;
 * slots are idempotent per holder, limited, released idempotently, expire, and are
 * reconciled with the truth without ever dropping a holder confirmed within the grace.
 *
 * Windows are aligned to the epoch on the store's clock. Tests that must not straddle
 * a window edge use hour-long windows and run again (fresh key) if an edge passed.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimitDecision, RateLimitPolicy } from '../domain/rate-limit.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import { guardedFactory, type PortFactory, type TimeControl } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { portLifecycleContract } from './lifecycle.js';

const HOUR = 3_600_000;

/** Runs `scenario` on a fresh key until it runs within one hour-long window (at most 3 tries). */
async function withinOneWindow(time: TimeControl, scenario: (key: string) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = Math.floor(time.now() / HOUR);
    try {
      await scenario(randomName('rl'));
      return;
    } catch (e) {
      if (Math.floor(time.now() / HOUR) === before || attempt >= 3) throw e;
    }
  }
}

/** Hits until denied (at most `max` times); returns the allowed decisions and the denial. */
async function hitUntilDenied(port: RateLimitStore, key: string, policy: RateLimitPolicy, max = 50) {
  const allowed: RateLimitDecision[] = [];
  for (let i = 0; i < max; i++) {
    const d = await port.hit(key, policy);
    if (!d.allowed) return { allowed, denied: d };
    allowed.push(d);
  }
  throw new Error(`no denial after ${max} hits`);
}

export function rateLimitStoreContract(name: string, unguarded: PortFactory<RateLimitStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('rateLimitStore', unguarded);
  portLifecycleContract(
    name,
    'rateLimitStore',
    factory,
    {
      operation: 'acquireSlot',
      call: (s) => s.acquireSlot(randomName('slot'), 'holder-1', 1, 1000),
    },
    { operation: 'holders', call: (s) => s.holders(randomName('slot')) },
  );
  const test = (title: string, body: Parameters<typeof withFixture<RateLimitStore>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: RateLimitStore windows`, () => {
    for (const algorithm of ['fixed', 'sliding', 'gcra'] as const) {
      test(`${algorithm}: admits exactly limit in a burst, then denies with a value`, async ({
        port,
        time,
      }) => {
        await withinOneWindow(time, async (key) => {
          const policy = { algorithm, limit: 3, windowMs: HOUR };
          const { allowed, denied } = await hitUntilDenied(port, key, policy);
          expect(allowed.map((d) => d.remaining)).toEqual([2, 1, 0]);
          for (const d of allowed) expect(d).toMatchObject({ allowed: true, retryAfterMs: 0, limit: 3 });
          expect(allowed[0]!.resetAt).toBeGreaterThan(time.now());
          expect(denied).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
          expect(denied.retryAfterMs).toBeGreaterThan(0);
          expect(denied.retryAfterMs).toBeLessThanOrEqual(2 * HOUR);
          expect(denied.resetAt).toBeGreaterThan(time.now());
        });
      });

      test(`${algorithm}: after retryAfterMs a hit is allowed again`, async ({ port, time }) => {
        const policy = { algorithm, limit: 2, windowMs: 400 };
        const key = randomName('rl');
        const { denied } = await hitUntilDenied(port, key, policy);
        expect(denied.retryAfterMs).toBeGreaterThan(0);
        expect(denied.retryAfterMs).toBeLessThanOrEqual(800);
        await time.advance(denied.retryAfterMs + 20);
        expect((await port.hit(key, policy)).allowed).toBe(true);
      });

      test(`${algorithm}: cost counts several units; a denied hit counts nothing`, async ({ port, time }) => {
        await withinOneWindow(time, async (key) => {
          const policy = { algorithm, limit: 3, windowMs: HOUR };
          expect(await port.hit(key, policy, 2)).toMatchObject({ allowed: true, remaining: 1 });
          expect(await port.hit(key, policy, 2)).toMatchObject({ allowed: false, remaining: 0 });
          expect(await port.hit(key, policy, 1)).toMatchObject({ allowed: true, remaining: 0 });
          expect((await port.hit(key, policy, 1)).allowed).toBe(false);
        });
      });

      test(`${algorithm}: 500 concurrent hits with limit 100 admit exactly 100`, async ({ port, time }) => {
        await withinOneWindow(time, async (key) => {
          const policy = { algorithm, limit: 100, windowMs: HOUR };
          const decisions = await Promise.all(Array.from({ length: 500 }, () => port.hit(key, policy)));
          expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
          const remaining = decisions.filter((d) => d.allowed).map((d) => d.remaining);
          expect(new Set(remaining).size).toBe(100); // each admitted hit saw its own count
        });
      });
    }

    test('gcra: burst on top of the steady rate', async ({ port, time }) => {
      const key = randomName('rl');
      const policy = { algorithm: 'gcra', limit: 2, windowMs: 1000, burst: 4 } as const;
      const { allowed, denied } = await hitUntilDenied(port, key, policy);
      expect(allowed).toHaveLength(4);
      expect(denied.retryAfterMs).toBeGreaterThan(0);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(500); // one token per 500 ms
      await time.advance(denied.retryAfterMs + 20);
      expect((await port.hit(key, policy)).allowed).toBe(true);
      expect((await port.hit(key, policy)).allowed).toBe(false);
    });

    test('keys are independent', async ({ port, time }) => {
      await withinOneWindow(time, async (key) => {
        const policy = { algorithm: 'fixed', limit: 1, windowMs: HOUR } as const;
        expect((await port.hit(key, policy)).allowed).toBe(true);
        expect((await port.hit(key, policy)).allowed).toBe(false);
        expect((await port.hit(`${key}-other`, policy)).allowed).toBe(true);
      });
    });

    test('a malformed policy or cost is VALIDATION_FAILED, not a decision', async ({ port }) => {
      const key = randomName('rl');
      await expect(port.hit(key, { algorithm: 'fixed', limit: 0, windowMs: 1000 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(port.hit(key, { algorithm: 'sliding', limit: 1, windowMs: -5 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(port.hit(key, { algorithm: 'gcra', limit: 1, windowMs: 1000 }, 0)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });

  describe(`${name}: RateLimitStore slots`, () => {
    test('acquire up to the limit; a holder that has a slot keeps it and is not counted twice', async ({
      port,
    }) => {
      const key = randomName('slots');
      expect(await port.acquireSlot(key, 'job-a', 2, 60_000)).toEqual({ acquired: true, count: 1, limit: 2 });
      expect(await port.acquireSlot(key, 'job-a', 2, 60_000)).toEqual({ acquired: true, count: 1, limit: 2 });
      expect(await port.acquireSlot(key, 'job-b', 2, 60_000)).toEqual({ acquired: true, count: 2, limit: 2 });
      expect(await port.acquireSlot(key, 'job-c', 2, 60_000)).toEqual({
        acquired: false,
        count: 2,
        limit: 2,
      });
      expect(await port.acquireSlot(key, 'job-b', 2, 60_000)).toEqual({ acquired: true, count: 2, limit: 2 });
      expect(await port.holders(key)).toEqual(['job-a', 'job-b']);
    });

    test('release is idempotent and frees the slot', async ({ port }) => {
      const key = randomName('slots');
      await port.acquireSlot(key, 'h1', 1, 60_000);
      expect(await port.releaseSlot(key, 'h1')).toBe(true);
      expect(await port.releaseSlot(key, 'h1')).toBe(false);
      expect(await port.releaseSlot(randomName('none'), 'h1')).toBe(false);
      expect((await port.acquireSlot(key, 'h2', 1, 60_000)).acquired).toBe(true);
      expect(await port.holders(key)).toEqual(['h2']);
    });

    test('a holder’s slot expires after its TTL unless refreshed', async ({ port, time }) => {
      const key = randomName('slots');
      await port.acquireSlot(key, 'crashed', 2, 300);
      await port.acquireSlot(key, 'alive', 2, 300);
      await time.advance(200);
      expect(await port.refreshSlot(key, 'alive', 300)).toBe(true);
      expect(await port.refreshSlot(key, 'never-had-one', 300)).toBe(false);
      await time.advance(200); // past the first TTL, within the refreshed one
      expect(await port.holders(key)).toEqual(['alive']);
      expect(await port.refreshSlot(key, 'crashed', 300)).toBe(false);
      expect(await port.acquireSlot(key, 'new', 2, 300)).toEqual({ acquired: true, count: 2, limit: 2 });
      await time.advance(400);
      expect(await port.holders(key)).toEqual([]);
    });

    test('concurrent acquires never exceed the limit', async ({ port }) => {
      const key = randomName('slots');
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          port.acquireSlot(key, `holder-${String(i).padStart(2, '0')}`, 10, 60_000),
        ),
      );
      expect(results.filter((r) => r.acquired)).toHaveLength(10);
      expect(results.every((r) => r.count <= 10)).toBe(true);
      expect(await port.holders(key)).toHaveLength(10);
    });

    test('reconcileSlots adds the present holders and removes absent ones confirmed graceMs ago', async ({
      port,
      time,
    }) => {
      const key = randomName('slots');
      await port.acquireSlot(key, 'stale', 3, 60_000);
      await port.acquireSlot(key, 'kept', 3, 60_000);
      await time.advance(600);
      await port.acquireSlot(key, 'young', 3, 60_000);
      const r = await port.reconcileSlots(key, ['kept', 'new-a'], { ttlMs: 60_000, graceMs: 500 });
      expect(r).toEqual({ added: 1, removed: 1 });
      expect(await port.holders(key)).toEqual(['kept', 'new-a', 'young']);
      // Idempotent: the same call again changes nothing.
      expect(await port.reconcileSlots(key, ['kept', 'new-a'], { ttlMs: 60_000, graceMs: 500 })).toEqual({
        added: 0,
        removed: 0,
      });
      // The reconcile adds may exceed nothing: admission still counts every holder.
      expect((await port.acquireSlot(key, 'other', 3, 60_000)).acquired).toBe(false);
    });

    test('reconcileSlots never removes a holder confirmed within the grace (a submit in flight)', async ({
      port,
    }) => {
      const key = randomName('slots');
      expect((await port.acquireSlot(key, 'in-flight', 1, 60_000)).acquired).toBe(true);
      expect((await port.acquireSlot(key, 'refused', 1, 60_000)).acquired).toBe(false);
      expect(await port.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 60_000 })).toEqual({
        added: 0,
        removed: 0,
      });
      expect(await port.holders(key)).toEqual(['in-flight']);
      expect((await port.acquireSlot(key, 'refused', 1, 60_000)).acquired).toBe(false);
    });

    test('a refresh renews the confirmation time the grace is measured from', async ({ port, time }) => {
      const key = randomName('slots');
      const grace = { ttlMs: 60_000, graceMs: 800 };
      await port.acquireSlot(key, 'h', 2, 60_000);
      await time.advance(900); // acquired more than the grace ago…
      expect(await port.refreshSlot(key, 'h', 60_000)).toBe(true); // …but confirmed again now
      expect((await port.reconcileSlots(key, [], grace)).removed).toBe(0);
      expect(await port.holders(key)).toEqual(['h']);
      await time.advance(800);
      expect((await port.reconcileSlots(key, [], grace)).removed).toBe(1);
      expect(await port.holders(key)).toEqual([]);
    });

    test('a holder reconcileSlots added is removed as soon as it is no longer present', async ({ port }) => {
      const key = randomName('slots');
      expect(await port.reconcileSlots(key, ['restored'], { ttlMs: 60_000, graceMs: 60_000 })).toEqual({
        added: 1,
        removed: 0,
      });
      expect(await port.holders(key)).toEqual(['restored']);
      expect(await port.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 60_000 })).toEqual({
        added: 0,
        removed: 1,
      });
      expect(await port.holders(key)).toEqual([]);
      // Taken by its holder afterwards, it is confirmed again and kept.
      await port.acquireSlot(key, 'restored', 1, 60_000);
      expect((await port.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 60_000 })).removed).toBe(0);
    });

    test('reconcileSlots extends a present holder to at least ttlMs and never shortens it', async ({
      port,
      time,
    }) => {
      const key = randomName('slots');
      await port.acquireSlot(key, 'long', 3, 60_000);
      await port.acquireSlot(key, 'short', 3, 200);
      await port.reconcileSlots(key, ['long', 'short', 'added'], { ttlMs: 1000, graceMs: 60_000 });
      await time.advance(300); // past short's own TTL, within the reconcile's
      expect(await port.holders(key)).toEqual(['added', 'long', 'short']);
      await time.advance(800); // past the reconcile's TTL, within long's own
      expect(await port.holders(key)).toEqual(['long']);
    });

    test('concurrent acquires and reconciles never exceed the limit nor drop a new holder', async ({
      port,
    }) => {
      const key = randomName('slots');
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        calls.push(port.acquireSlot(key, `holder-${String(i).padStart(2, '0')}`, 5, 60_000));
        if (i % 3 === 0) calls.push(port.reconcileSlots(key, [], { ttlMs: 60_000, graceMs: 60_000 }));
      }
      const results = await Promise.all(calls);
      const acquired = results.filter((r) => (r as { acquired?: boolean }).acquired === true);
      expect(acquired).toHaveLength(5);
      expect(await port.holders(key)).toHaveLength(5);
    });

    test('reconcileSlots arguments are validated', async ({ port }) => {
      const key = randomName('slots');
      const bad = [
        () => port.reconcileSlots('', [], { ttlMs: 1000, graceMs: 0 }),
        () => port.reconcileSlots(key, [''], { ttlMs: 1000, graceMs: 0 }),
        () => port.reconcileSlots(key, [], { ttlMs: 0, graceMs: 0 }),
        () => port.reconcileSlots(key, [], { ttlMs: 1000, graceMs: -1 }),
        () => port.reconcileSlots(key, [], { ttlMs: 1000, graceMs: 1.5 }),
      ];
      for (const call of bad) await expect(call()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    test('slot arguments are validated', async ({ port }) => {
      const key = randomName('slots');
      await expect(port.acquireSlot(key, 'h', 0, 1000)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(port.acquireSlot(key, 'h', 1, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
}
