/**
 * Retry delays. Pure: randomness comes in as a function so tests are reproducible.
 */
import type { BackoffPolicy } from './task.js';

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/**
 * Milliseconds to wait before the next attempt after `failures` failed attempts (>= 1).
 * - `fixed`: always `delayMs`.
 * - `exponential`: `baseMs * 2^(failures-1)` capped at `maxMs`; with jitter fraction `j`
 *   the delay is `d*(1-j) + random()*d*j` (j = 1 is "full jitter").
 * Always an integer in `[0, maxMs]` (`[0, delayMs]` for fixed).
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number): number {
  if (policy.kind === 'fixed') return Math.max(0, Math.floor(policy.delayMs));
  const maxMs = Math.max(0, policy.maxMs);
  const n = Math.max(1, Math.floor(failures));
  const base = Math.max(0, policy.baseMs);
  const d = Math.min(maxMs, base * 2 ** (n - 1));
  const j = clamp(Number.isFinite(policy.jitter) ? policy.jitter : 0, 0, 1);
  const r = clamp(random(), 0, 1);
  const delay = d * (1 - j) + r * d * j;
  return clamp(Math.floor(delay), 0, Math.floor(maxMs));
}
