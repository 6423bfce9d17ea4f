import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/domain/backoff.js';

describe('backoffDelay', () => {
  it('fixed is constant', () => {
    expect(backoffDelay({ kind: 'fixed', delayMs: 250 }, 1, Math.random)).toBe(250);
    expect(backoffDelay({ kind: 'fixed', delayMs: 250 }, 9, Math.random)).toBe(250);
  });

  it('exponential doubles and caps without jitter', () => {
    const p = { kind: 'exponential', baseMs: 1000, maxMs: 5000, jitter: 0 } as const;
    expect([1, 2, 3, 4, 50, 5000].map((n) => backoffDelay(p, n, () => 0.9))).toEqual([
      1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });

  it('applies jitter as d*(1-j) + r*d*j', () => {
    const p = { kind: 'exponential', baseMs: 1000, maxMs: 60_000, jitter: 0.5 } as const;
    expect(backoffDelay(p, 2, () => 0)).toBe(1000);
    expect(backoffDelay(p, 2, () => 0.5)).toBe(1500);
    expect(backoffDelay({ ...p, jitter: 1 }, 1, () => 0)).toBe(0);
  });

  it('is always an integer in [0, maxMs]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -5, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (baseMs, maxMs, jitter, failures, r) => {
          const d = backoffDelay({ kind: 'exponential', baseMs, maxMs, jitter }, failures, () => r);
          return Number.isInteger(d) && d >= 0 && d <= maxMs;
        },
      ),
      { numRuns: 500 },
    );
  });
});
