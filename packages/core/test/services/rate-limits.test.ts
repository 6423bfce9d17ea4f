import { describe, expect, it } from 'vitest';
import { breakable, harness } from './harness.js';

const policy = { algorithm: 'fixed' as const, limit: 2, windowMs: 1000 };

describe('rateLimits', () => {
  it('fail-closed: an unreachable store is a STORE_UNAVAILABLE error', async () => {
    const b = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      wrap: (a) => {
        b.current = breakable(a.rateLimitStore, 'rateLimitStore');
        return { ...a, rateLimitStore: b.current.port as typeof a.rateLimitStore };
      },
    });
    b.current!.switch.down = true;
    const r = await h.dalston.rateLimits.check(policy, 'k');
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'rateLimitStore' });
    const submit = await h.dalston.jobs.submit({ tenantId: h.tenantId });
    expect(submit._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
  });

  it('fail-open: the in-process fallback limiter decides, and still limits', async () => {
    const b = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      config: {
        rateLimitFailure: { default: 'fail-closed', requests: 'fail-open', concurrentJobs: 'fail-open' },
      },
      wrap: (a) => {
        b.current = breakable(a.rateLimitStore, 'rateLimitStore');
        return { ...a, rateLimitStore: b.current.port as typeof a.rateLimitStore };
      },
    });
    b.current!.switch.down = true;
    const decisions = [];
    for (let i = 0; i < 3; i++)
      decisions.push((await h.dalston.rateLimits.check(policy, 'k'))._unsafeUnwrap());
    expect(decisions.map((d) => [d.allowed, d.degraded])).toEqual([
      [true, true],
      [true, true],
      [false, true],
    ]);
    await h.advance(1000);
    expect((await h.dalston.rateLimits.check(policy, 'k'))._unsafeUnwrap().allowed).toBe(true);
    expect((await h.dalston.jobs.submit({ tenantId: h.tenantId })).isOk()).toBe(true);
    const explicit = await h.dalston.rateLimits.check(policy, 'k2', { failure: 'fail-closed' });
    expect(explicit._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
  });

  it('validates policies and slots by field', async () => {
    const h = await harness();
    const r = await h.dalston.rateLimits.check({ algorithm: 'fixed', limit: 0, windowMs: 10 }, 'k');
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'policy.limit' });
    const slot = (await h.dalston.rateLimits.acquireSlot('s', 'h1', 1))._unsafeUnwrap();
    expect(slot.acquired).toBe(true);
    expect((await h.dalston.rateLimits.acquireSlot('s', 'h2', 1))._unsafeUnwrap().acquired).toBe(false);
    expect((await h.dalston.rateLimits.releaseSlot('s', 'h1'))._unsafeUnwrap()).toBe(true);
    expect((await h.dalston.rateLimits.acquireSlot('s', 'h2', 1))._unsafeUnwrap().acquired).toBe(true);
  });
});
