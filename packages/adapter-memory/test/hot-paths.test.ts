/**
 * The memory adapters' hot paths keep their results while doing less work: markPublished
 * finds ids by binary search, copies are exact (the fast path and structuredClone agree),
 * and slot holders are walked only when one may have expired.
 */
import { guardPortNamed, ManualClock } from '@dalston/core/adapter';
import { makeSessionEvent } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { copy } from '../src/deep-copy.js';
import { MemoryJobStore } from '../src/job-store.js';
import { MemoryRateLimitStore } from '../src/rate-limit-store.js';

describe('MemoryJobStore.markPublished', () => {
  it('marks exactly the given ids in a long log, ignoring unknown and repeated ids', async () => {
    const clock = new ManualClock();
    const store = new MemoryJobStore({ clock });
    const events = await store.appendEvents(Array.from({ length: 300 }, () => makeSessionEvent('t1')));
    const ids = events.map((e) => e.id);
    const marked = ids.filter((_, i) => i % 7 === 3);
    await store.markPublished([...marked, marked[0]!, 0, -5, ids.at(-1)! + 10, 1.5]);
    const left = (await store.unpublishedEvents(Number.MAX_SAFE_INTEGER, 1000)).map((e) => e.id);
    expect(left).toEqual(ids.filter((id) => !marked.includes(id)));
    await store.markPublished(ids);
    expect(await store.unpublishedEvents(Number.MAX_SAFE_INTEGER, 1000)).toEqual([]);
  });
});

describe('copy', () => {
  it('gives what structuredClone gives, never aliasing the input', () => {
    const values: unknown[] = [
      null,
      0,
      -0,
      'x',
      true,
      undefined,
      [1, [2, { a: null }], 'b'],
      { a: 1, b: { c: [1, 2, { d: 'e' }] }, u: undefined },
      Object.assign(Object.create(null), { a: 1 }),
      { when: new Date(5), bytes: new Uint8Array([1, 2]), map: new Map([[1, 2]]) },
      JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
      // biome-ignore lint/suspicious/noSparseArray: a hole must survive as structuredClone keeps it
      [1, , 3],
    ];
    for (const v of values) {
      const c = copy(v);
      expect(c).toStrictEqual(structuredClone(v));
      if (typeof v === 'object' && v !== null) expect(c).not.toBe(v);
    }
    const nested = { a: { b: [{ c: 1 }] } };
    const c = copy(nested);
    c.a.b[0]!.c = 2;
    expect(nested.a.b[0]!.c).toBe(1);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('handles cycles and fails on functions like structuredClone', () => {
    const cyclic: { self?: unknown; n: number } = { n: 1 };
    cyclic.self = cyclic;
    const c = copy(cyclic);
    expect(c.self).toBe(c);
    expect(() => copy({ f: () => 1 })).toThrow();
  });
});

describe('MemoryRateLimitStore slots', () => {
  it('expires holders by their own TTL whatever the order they were taken or refreshed in', async () => {
    const clock = new ManualClock();
    const store = new MemoryRateLimitStore({ clock });
    expect((await store.acquireSlot('k', 'long', 3, 1000)).acquired).toBe(true);
    expect((await store.acquireSlot('k', 'short', 3, 100)).acquired).toBe(true);
    await clock.advance(50);
    expect(await store.refreshSlot('k', 'short', 500)).toBe(true); // now expires at 550
    expect((await store.acquireSlot('k', 'mid', 3, 300)).acquired).toBe(true); // expires at 350
    expect((await store.acquireSlot('k', 'fourth', 3, 10)).acquired).toBe(false);
    await clock.advance(250); // t = 300
    expect(await store.holders('k')).toEqual(['long', 'mid', 'short']);
    await clock.advance(50); // t = 350: mid expires
    expect(await store.holders('k')).toEqual(['long', 'short']);
    expect((await store.acquireSlot('k', 'fourth', 3, 10)).acquired).toBe(true);
    await clock.advance(200); // t = 550: short and fourth expired
    expect(await store.holders('k')).toEqual(['long']);
    await clock.advance(450); // t = 1000
    expect(await store.holders('k')).toEqual([]);
    expect(store.size()).toBe(0);
    await store.reconcileSlots('k', ['a', 'b'], { ttlMs: 20, graceMs: 0 });
    await clock.advance(19);
    expect(await store.holders('k')).toEqual(['a', 'b']);
    await clock.advance(1);
    expect(await store.holders('k')).toEqual([]);
  });
});

describe('MemoryRateLimitStore window states', () => {
  it('forgets expired window states (amortised sweep) and keeps the live ones counting', async () => {
    const clock = new ManualClock(); // starts on a whole second and ten seconds
    const store = new MemoryRateLimitStore({ clock });
    const short = { algorithm: 'fixed' as const, limit: 5, windowMs: 1000 };
    const long = { algorithm: 'fixed' as const, limit: 10_000, windowMs: 10_000 };
    for (let i = 0; i < 1500; i++) await store.hit(`k${i}`, short);
    await clock.advance(999);
    for (let i = 0; i < 2000; i++) await store.hit('live', long);
    expect(store.size()).toBe(1501); // nothing has expired yet: no state dropped
    await clock.advance(1); // every short window ends
    let last = await store.hit('live', long);
    for (let i = 0; i < 2000; i++) last = await store.hit('live', long);
    expect(store.size()).toBe(1);
    expect(last).toMatchObject({ allowed: true, remaining: 10_000 - 4001 });
    expect(await store.hit('k0', short)).toMatchObject({ allowed: true, remaining: 4 });
  });
});

describe('MemoryRateLimitStore policy validation', () => {
  it("behind core's guard: validates a policy object once, again when it changes, and still refuses bad input", async () => {
    const clock = new ManualClock();
    const store = guardPortNamed('rateLimitStore', new MemoryRateLimitStore({ clock }));
    const policy = { algorithm: 'fixed' as const, limit: 2, windowMs: 1000 };
    expect((await store.hit('k', policy)).allowed).toBe(true);
    expect((await store.hit('k', policy)).allowed).toBe(true);
    expect((await store.hit('k', policy)).allowed).toBe(false);
    policy.limit = 0; // the same object, now invalid
    await expect(store.hit('k', policy)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'policy.limit',
    });
    policy.limit = 3;
    expect((await store.hit('k', policy)).allowed).toBe(true);
    await expect(store.hit('k', policy, 0)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'cost',
    });
    await expect(store.hit('k', policy, 1.5)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'cost',
    });
    await expect(store.hit('k', { ...policy, algorithm: 'leaky' } as never)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'policy.algorithm',
    });
    const gcra = { algorithm: 'gcra' as const, limit: 2, windowMs: 1000, burst: 1 };
    expect((await store.hit('g', gcra)).allowed).toBe(true);
    gcra.burst = 0;
    await expect(store.hit('g', gcra)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'policy.burst',
    });
    await expect(store.hit('g', null as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
