/** Small measurement helpers: timing, percentiles, best-of-n and bounded concurrency. */
import { randomBytes } from 'node:crypto';
import { pollUntil } from '../../../test-support/poll.js';

export const now = (): number => performance.now();

/** The p-th percentile (0..100) of the samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

export function latencyOf(samples: number[]): Latency {
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), p99: percentile(samples, 99) };
}

/** Runs `count` operations with at most `inFlight` at a time; `op(i)` gets the index. */
export async function runPool(
  count: number,
  inFlight: number,
  op: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) await op(i);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}

/** Operations per second of `count` operations that took `ms`. */
export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A short random tag for key prefixes, schemas and database names of one run. */
export const runTag = (): string => randomBytes(4).toString('hex');

/** Resolves when `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 120_000,
  everyMs = 5,
): Promise<void> {
  await pollUntil(check, { what, timeoutMs, everyMs });
}

/**
 * Runs each contender `repeat` times, interleaved (a, b, a, b, ...) so drift on a shared
 * machine hits both alike, and keeps each contender's best (highest) value.
 */
export async function bestOfInterleaved<K extends string>(
  repeat: number,
  contenders: Record<K, () => Promise<number>>,
): Promise<Record<K, number>> {
  const best = {} as Record<K, number>;
  for (let r = 0; r < repeat; r++) {
    for (const [name, run] of Object.entries(contenders) as [K, () => Promise<number>][]) {
      const v = await run();
      if (!(name in best) || v > best[name]) best[name] = v;
    }
  }
  return best;
}
