/**
 * Store round trips the engine saves: published events are marked in batches (not one
 * markPublished per create/update), and tenants are read once per `tenantCacheMs`.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';
import { harness } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

/** Counts calls of the named methods of a port. */
function counting<T extends object>(port: T, calls: Record<string, number>, ...names: string[]): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !names.includes(String(prop))) return value;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
}

function wrapCounting(calls: Record<string, number>) {
  return (a: DalstonAdapters): DalstonAdapters => ({
    ...a,
    jobStore: counting(a.jobStore, calls, 'markPublished'),
    tenantStore: counting(a.tenantStore, calls, 'get'),
  });
}

const unpublished = async (a: DalstonAdapters, before: number) =>
  (await a.jobStore.unpublishedEvents(before, 1000)).length;

describe('event publisher: batched markPublished', () => {
  it('marks the events of many submits with one call, within half the relay delay', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, config: { eventRelayDelayMs: 60 }, wrap: wrapCounting(calls) });
    const seen: number[] = [];
    await h.adapters.eventBus.subscribe({ tenantId: h.tenantId }, (e) => seen.push(e.id));
    const t0 = h.clock.now();
    for (let i = 0; i < 5; i++) (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(seen.length).toBeGreaterThanOrEqual(5); // published at once
    expect(calls.markPublished ?? 0).toBe(0);
    expect(await unpublished(h.adapters, t0)).toBeGreaterThanOrEqual(5);
    await h.advance(30); // half of eventRelayDelayMs
    expect(calls.markPublished).toBe(1);
    expect(await unpublished(h.adapters, h.clock.now())).toBe(0);
    // Before the relay delay has passed, nothing is left for the relay.
    expect((await h.dalston.maintenance.relayEvents())._unsafeUnwrap()).toBe(0);
  });

  it('flushes at most 50 ms after a publish when the relay delay is long', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, wrap: wrapCounting(calls) }); // eventRelayDelayMs 1000
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await h.advance(49);
    expect(calls.markPublished ?? 0).toBe(0);
    await h.advance(1);
    expect(calls.markPublished).toBe(1);
    expect(await unpublished(h.adapters, h.clock.now())).toBe(0);
  });

  it('with eventRelayDelayMs 0, a publish resolves after its events are marked', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, config: { eventRelayDelayMs: 0 }, wrap: wrapCounting(calls) });
    await Promise.all(
      Array.from({ length: 4 }, async () =>
        (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap(),
      ),
    );
    expect(await unpublished(h.adapters, h.clock.now())).toBe(0);
    expect(calls.markPublished).toBeGreaterThanOrEqual(1);
    expect(calls.markPublished).toBeLessThanOrEqual(4);
  });

  it('close() marks pending events before it closes the job store', async () => {
    const calls: Record<string, number> = {};
    const closedWith: number[] = [];
    const h = await harness({
      pipeline: one,
      wrap: (a) => {
        const w = wrapCounting(calls)(a);
        const store = w.jobStore;
        const close = (store as { close?: () => Promise<void> }).close?.bind(store);
        return {
          ...w,
          jobStore: Object.assign(Object.create(store), {
            markPublished: (ids: number[]) => store.markPublished(ids),
            close: async () => {
              closedWith.push(calls.markPublished ?? 0);
              await close?.();
            },
          }),
        };
      },
    });
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(calls.markPublished ?? 0).toBe(0);
    await h.dalston.close();
    expect(calls.markPublished).toBe(1);
    expect(closedWith).toEqual([1]);
  });

  it('a failed mark is logged and left to the relay', async () => {
    let fail = true;
    const h = await harness({
      pipeline: one,
      config: { eventRelayDelayMs: 0 },
      wrap: (a) => ({
        ...a,
        jobStore: new Proxy(a.jobStore, {
          get(target, prop, receiver) {
            if (prop === 'markPublished' && fail) return () => Promise.reject(new Error('down'));
            const v = Reflect.get(target, prop, receiver);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        }),
      }),
    });
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(await unpublished(h.adapters, h.clock.now())).toBeGreaterThan(0);
    fail = false;
    expect((await h.dalston.maintenance.relayEvents())._unsafeUnwrap()).toBeGreaterThan(0);
    expect(await unpublished(h.adapters, h.clock.now())).toBe(0);
  });
});

describe('event publisher: coalesced bus publishes', () => {
  it('sends the events of concurrent transitions in one EventBus.publish, in call order', async () => {
    const calls: Record<string, number> = {};
    const batches: string[][] = [];
    const h = await harness({
      pipeline: one,
      wrap: (a) => ({
        ...a,
        eventBus: Object.assign(Object.create(a.eventBus), {
          publish: (events: Parameters<DalstonAdapters['eventBus']['publish']>[0]) => {
            calls.publish = (calls.publish ?? 0) + 1;
            batches.push(events.map((e) => `${e.jobId}:${e.type}`));
            return a.eventBus.publish(events);
          },
        }),
      }),
    });
    const jobs = await Promise.all(
      Array.from({ length: 4 }, async () =>
        (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap(),
      ),
    );
    expect(calls.publish).toBe(1);
    expect(batches[0]).toHaveLength(8);
    for (const job of jobs) {
      const own = batches[0]!.filter((e) => e.startsWith(`${job.id}:`));
      expect(own).toEqual([`${job.id}:job.created`, `${job.id}:task.ready`]);
    }
  });

  it('a failed coalesced publish leaves every event of the batch to the relay', async () => {
    let down = true;
    const h = await harness({
      pipeline: one,
      wrap: (a) => ({
        ...a,
        eventBus: Object.assign(Object.create(a.eventBus), {
          publish: (events: Parameters<DalstonAdapters['eventBus']['publish']>[0]) =>
            down ? Promise.reject(new Error('bus down')) : a.eventBus.publish(events),
        }),
      }),
    });
    await Promise.all(
      Array.from({ length: 3 }, async () =>
        (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap(),
      ),
    );
    await h.advance(1000); // the relay delay
    expect(await unpublished(h.adapters, h.clock.now())).toBe(6);
    down = false;
    expect((await h.dalston.maintenance.relayEvents())._unsafeUnwrap()).toBe(6);
  });
});

describe('tenant cache', () => {
  it('reads the tenant once per tenantCacheMs for submits', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, wrap: wrapCounting(calls) });
    for (let i = 0; i < 3; i++) (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(calls.get).toBe(1);
    await h.advance(1000);
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(calls.get).toBe(2);
  });

  it('is invalidated by the engine’s own disable and updateLimits', async () => {
    const h = await harness({ pipeline: one });
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    (await h.dalston.tenants.updateLimits(h.tenantId, { concurrentJobs: 1 }))._unsafeUnwrap();
    const r = await h.dalston.jobs.submit({ tenantId: h.tenantId });
    expect(r._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
    (await h.dalston.tenants.disable(h.tenantId))._unsafeUnwrap();
    expect((await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrapErr().code).toBe('FORBIDDEN');
    (await h.dalston.tenants.disable(h.tenantId, false))._unsafeUnwrap();
    expect((await h.dalston.sessions.start({ tenantId: h.tenantId }))._unsafeUnwrap().tenantId).toBe(
      h.tenantId,
    );
  });

  it('sees a change made elsewhere after tenantCacheMs; 0 disables the cache', async () => {
    const h = await harness({ pipeline: one, config: { tenantCacheMs: 200 } });
    (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await h.adapters.tenantStore.setDisabled(h.tenantId, true); // another engine's change
    await h.advance(200);
    expect((await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrapErr().code).toBe('FORBIDDEN');

    const calls: Record<string, number> = {};
    const u = await harness({ pipeline: one, config: { tenantCacheMs: 0 }, wrap: wrapCounting(calls) });
    for (let i = 0; i < 3; i++) (await u.dalston.jobs.submit({ tenantId: u.tenantId }))._unsafeUnwrap();
    expect(calls.get).toBe(3);
    await u.adapters.tenantStore.setDisabled(u.tenantId, true);
    expect((await u.dalston.jobs.submit({ tenantId: u.tenantId }))._unsafeUnwrapErr().code).toBe('FORBIDDEN');
  });

  it('never caches a missing tenant', async () => {
    const h = await harness({ pipeline: one });
    expect((await h.dalston.jobs.submit({ tenantId: 'later' }))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    await h.adapters.tenantStore.create({
      id: 'later',
      name: 'Later',
      limits: {},
      disabled: false,
      createdAt: 0,
    });
    expect((await h.dalston.jobs.submit({ tenantId: 'later' }))._unsafeUnwrap().tenantId).toBe('later');
  });
});
