import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '../../src/domain/rate-limit.js';
import {
  applyRateLimit,
  fixedWindow,
  type GcraState,
  gcra,
  RateLimitPolicyCheck,
  type RateLimitState,
  slidingWindow,
  validateRateLimitPolicy,
} from '../../src/domain/rate-limit-algorithms.js';

const T0 = Date.UTC(2026, 0, 1); // aligned to any window that divides a day

/** Runs a sequence of hits at the given times; returns the admitted times. */
function run(policy: RateLimitPolicy, times: number[], cost = 1): number[] {
  let state: RateLimitState | null = null;
  const admitted: number[] = [];
  for (const t of times) {
    const out = applyRateLimit(state, policy, t, cost);
    state = out.state;
    if (out.decision.allowed) admitted.push(t);
  }
  return admitted;
}

const sortedTimes = (maxSpan: number) =>
  fc
    .array(fc.integer({ min: 0, max: maxSpan }), { minLength: 1, maxLength: 300 })
    .map((xs) => xs.sort((a, b) => a - b).map((x) => T0 + x));

describe('fixed window', () => {
  const policy = { algorithm: 'fixed', limit: 3, windowMs: 1000 } as const;

  it('admits limit per aligned window, then denies until the window ends', () => {
    let s = null;
    for (let i = 0; i < 3; i++) {
      const out = fixedWindow(s, policy, T0 + 100, 1);
      expect(out.decision).toMatchObject({
        allowed: true,
        remaining: 2 - i,
        retryAfterMs: 0,
        resetAt: T0 + 1000,
      });
      s = out.state;
    }
    const denied = fixedWindow(s, policy, T0 + 400, 1);
    expect(denied.decision).toEqual({
      allowed: false,
      remaining: 0,
      retryAfterMs: 600,
      resetAt: T0 + 1000,
      limit: 3,
    });
    expect(denied.state).toEqual(s); // a denied hit counts nothing
    expect(fixedWindow(denied.state, policy, T0 + 1000, 1).decision.allowed).toBe(true);
  });

  it('ttl lasts to the end of the window', () => {
    expect(fixedWindow(null, policy, T0 + 250, 1).ttlMs).toBe(750);
  });

  it('a cost above the limit never passes', () => {
    expect(fixedWindow(null, policy, T0, 4).decision).toMatchObject({ allowed: false, retryAfterMs: 1000 });
  });

  it('property: never more than limit admitted per aligned window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 500 }),
        sortedTimes(5000),
        (limit, windowMs, times) => {
          const admitted = run({ algorithm: 'fixed', limit, windowMs }, times);
          const perWindow = new Map<number, number>();
          for (const t of admitted)
            perWindow.set(t - (t % windowMs), (perWindow.get(t - (t % windowMs)) ?? 0) + 1);
          for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it('property: retryAfterMs is exact (a retry at now + retryAfterMs passes, one ms earlier does not)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 2, max: 500 }),
        sortedTimes(2000),
        (limit, windowMs, times) => {
          let state: RateLimitState | null = null;
          for (const t of times) {
            const out = applyRateLimit(state, { algorithm: 'fixed', limit, windowMs }, t);
            if (!out.decision.allowed) {
              const r = out.decision.retryAfterMs;
              expect(
                applyRateLimit(out.state, { algorithm: 'fixed', limit, windowMs }, t + r).decision.allowed,
              ).toBe(true);
              expect(
                applyRateLimit(out.state, { algorithm: 'fixed', limit, windowMs }, t + r - 1).decision
                  .allowed,
              ).toBe(false);
            }
            state = out.state;
          }
        },
      ),
    );
  });
});

describe('sliding window', () => {
  const policy = { algorithm: 'sliding', limit: 10, windowMs: 1000 } as const;

  it('weights the previous window by the part of it still inside the sliding window', () => {
    let s = null;
    for (let i = 0; i < 10; i++) s = slidingWindow(s, policy, T0 + 500, 1).state;
    // 250 ms into the next window, 75 % of the previous 10 still count: 7.5 → 2 more fit.
    const a = slidingWindow(s, policy, T0 + 1250, 1);
    expect(a.decision).toMatchObject({ allowed: true, remaining: 1 });
    const b = slidingWindow(a.state, policy, T0 + 1250, 1);
    expect(b.decision).toMatchObject({ allowed: true, remaining: 0 });
    const c = slidingWindow(b.state, policy, T0 + 1250, 1);
    expect(c.decision.allowed).toBe(false);
    expect(c.decision.retryAfterMs).toBe(50); // at 300 ms, 7 + 2 + 1 <= 10
    expect(slidingWindow(c.state, policy, T0 + 1300, 1).decision.allowed).toBe(true);
    expect(slidingWindow(c.state, policy, T0 + 1299, 1).decision.allowed).toBe(false);
  });

  it('forgets everything two windows later', () => {
    let s = null;
    for (let i = 0; i < 10; i++) s = slidingWindow(s, policy, T0, 1).state;
    expect(slidingWindow(s, policy, T0 + 2000, 1).decision).toMatchObject({ allowed: true, remaining: 9 });
  });

  it('property: never more than limit admitted per aligned window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 500 }),
        sortedTimes(5000),
        (limit, windowMs, times) => {
          const admitted = run({ algorithm: 'sliding', limit, windowMs }, times);
          const perWindow = new Map<number, number>();
          for (const t of admitted)
            perWindow.set(t - (t % windowMs), (perWindow.get(t - (t % windowMs)) ?? 0) + 1);
          for (const n of perWindow.values()) expect(n).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });

  it('property: retryAfterMs is exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 2, max: 500 }),
        sortedTimes(2000),
        (limit, windowMs, times) => {
          const p = { algorithm: 'sliding', limit, windowMs } as const;
          let state: RateLimitState | null = null;
          for (const t of times) {
            const out = applyRateLimit(state, p, t);
            if (!out.decision.allowed) {
              const r = out.decision.retryAfterMs;
              expect(r).toBeGreaterThan(0);
              expect(applyRateLimit(out.state, p, t + r).decision.allowed).toBe(true);
              expect(applyRateLimit(out.state, p, t + r - 1).decision.allowed).toBe(false);
            }
            state = out.state;
          }
        },
      ),
    );
  });
});

describe('gcra', () => {
  it('allows a burst, then one request per emission interval', () => {
    const policy = { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 3 } as const;
    let s: GcraState | null = null;
    for (let i = 0; i < 3; i++) {
      const out = gcra(s, policy, T0, 1);
      expect(out.decision).toMatchObject({ allowed: true, remaining: 2 - i });
      s = out.state;
    }
    const denied = gcra(s, policy, T0, 1);
    expect(denied.decision).toMatchObject({
      allowed: false,
      remaining: 0,
      retryAfterMs: 100,
      resetAt: T0 + 300,
    });
    expect(gcra(denied.state, policy, T0 + 99, 1).decision.allowed).toBe(false);
    expect(gcra(denied.state, policy, T0 + 100, 1).decision.allowed).toBe(true);
  });

  it('defaults burst to limit and reports when the bucket is full again', () => {
    const out = gcra(null, { limit: 4, windowMs: 1000 }, T0, 1);
    expect(out.decision).toMatchObject({ allowed: true, remaining: 3, resetAt: T0 + 250 });
    expect(out.ttlMs).toBe(250);
  });

  it('stays exact with emission intervals that are not whole milliseconds', () => {
    const policy = { algorithm: 'gcra', limit: 3, windowMs: 1000, burst: 1 } as const;
    expect(run(policy, [T0, T0 + 333, T0 + 334, T0 + 667, T0 + 668])).toEqual([T0, T0 + 334, T0 + 668]);
  });

  it('property: admits at most burst + rate × elapsed over any interval', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        sortedTimes(3000),
        (limit, windowMs, burst, cost, times) => {
          const admitted = run({ algorithm: 'gcra', limit, windowMs, burst }, times, cost);
          for (let i = 0; i < admitted.length; i++) {
            for (let j = i; j < admitted.length; j++) {
              const elapsed = admitted[j]! - admitted[i]!;
              // (j - i + 1) requests of `cost` tokens in [t_i, t_j]
              expect((j - i + 1) * cost * windowMs).toBeLessThanOrEqual(burst * windowMs + limit * elapsed);
            }
          }
        },
      ),
    );
  });

  it('property: retryAfterMs is exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 5 }),
        sortedTimes(2000),
        (limit, windowMs, burst, times) => {
          const p = { algorithm: 'gcra', limit, windowMs, burst } as const;
          let state: RateLimitState | null = null;
          for (const t of times) {
            const out = applyRateLimit(state, p, t);
            if (!out.decision.allowed) {
              const r = out.decision.retryAfterMs;
              expect(applyRateLimit(out.state, p, t + r).decision.allowed).toBe(true);
              if (r > 1) expect(applyRateLimit(out.state, p, t + r - 1).decision.allowed).toBe(false);
            }
            state = out.state;
          }
        },
      ),
    );
  });
});

describe('applyRateLimit', () => {
  it('rejects policies and costs it cannot count exactly', () => {
    expect(() => validateRateLimitPolicy({ algorithm: 'fixed', limit: 0, windowMs: 1 })).toThrow(
      /policy.limit/,
    );
    expect(() => validateRateLimitPolicy({ algorithm: 'gcra', limit: 1, windowMs: 1.5 })).toThrow(
      /policy.windowMs/,
    );
    expect(() => validateRateLimitPolicy({ algorithm: 'gcra', limit: 1, windowMs: 1, burst: -1 })).toThrow(
      /policy.burst/,
    );
    expect(() => applyRateLimit(null, { algorithm: 'fixed', limit: 1, windowMs: 1 }, T0, 0)).toThrow(/cost/);
  });

  it('treats a state of another algorithm as no state', () => {
    const fixed = applyRateLimit(null, { algorithm: 'fixed', limit: 1, windowMs: 1000 }, T0).state;
    expect(applyRateLimit(fixed, { algorithm: 'gcra', limit: 1, windowMs: 1000 }, T0).decision.allowed).toBe(
      true,
    );
  });
});

describe('RateLimitPolicyCheck', () => {
  const failsOn = (check: RateLimitPolicyCheck, policy: unknown, field: string) =>
    expect(() => check.validate(policy as RateLimitPolicy)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field }),
    );

  it('never serves a stale validation to a mutated or another policy object', () => {
    const check = new RateLimitPolicyCheck();
    const a: { algorithm: 'fixed' | 'gcra'; limit: number; windowMs: number; burst?: number } = {
      algorithm: 'fixed',
      limit: 5,
      windowMs: 1000,
    };
    const b = { algorithm: 'sliding' as const, limit: 3, windowMs: 500 };
    check.validate(a);
    check.validate(a); // remembered: still fine
    a.limit = 0; // the last policy seen, mutated in place
    failsOn(check, a, 'policy.limit');
    a.limit = 5;
    check.validate(a);
    check.validate(b); // a is no longer the last one: remembered in the WeakMap only
    a.windowMs = 1.5;
    failsOn(check, a, 'policy.windowMs');
    a.windowMs = 1000;
    a.algorithm = 'gcra';
    a.burst = 0;
    failsOn(check, a, 'policy.burst');
    a.burst = 2;
    check.validate(a);
    (a as { algorithm: string }).algorithm = 'leaky';
    failsOn(check, a, 'policy.algorithm');
    // Another object with the same fields as a valid one is validated on its own.
    failsOn(check, { ...b, limit: -1 }, 'policy.limit');
    failsOn(check, { ...b, windowMs: Number.MAX_SAFE_INTEGER }, 'policy');
    check.validate({ ...b });
  });

  it('refuses a missing policy like validateRateLimitPolicy, before and after a valid one', () => {
    const check = new RateLimitPolicyCheck();
    failsOn(check, undefined, 'policy.algorithm');
    failsOn(check, null, 'policy.algorithm');
    check.validate({ algorithm: 'fixed', limit: 1, windowMs: 1 });
    failsOn(check, undefined, 'policy.algorithm');
    failsOn(check, 'fixed', 'policy.algorithm');
  });
});
