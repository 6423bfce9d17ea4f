/**
 * RateLimitStore: atomic counters and concurrency slots with TTL (Redis in
 * production). Each call is one atomic round trip, exact under concurrency: no
 * check-then-increment. The store uses its own clock for windows and TTLs, so every
 * host sharing it agrees.
 *
 * Deliberately left out: which key or policy applies to a request (core), and what
 * to do when the store is down (core's per-limit fail-open/fail-closed policy).
 * Failures reject with STORE_UNAVAILABLE (`store: 'rateLimitStore'`). Durations in ms.
 */
import type { RateLimitDecision, RateLimitPolicy, SlotDecision } from '../domain/rate-limit.js';

export interface RateLimitStore {
  /** Counts `cost` (default 1) against `key` under `policy` and says whether it is allowed. A denied hit counts nothing. */
  hit(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>;
  /**
   * Takes a slot for `holder` under `key` if fewer than `limit` live holders exist.
   * Idempotent per holder: a holder that already has a slot keeps it (TTL renewed) and
   * is not counted twice. Expired holders are dropped first.
   */
  acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision>;
  /** Gives the slot back. Returns whether the holder had one. Idempotent. */
  releaseSlot(key: string, holder: string): Promise<boolean>;
  /** Renews the holder's TTL. Returns false when it holds no slot. */
  refreshSlot(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Live holders of `key`, sorted. */
  holders(key: string): Promise<string[]>;
  /** Replaces the holders of `key` with exactly `holders`, each with `ttlMs`. */
  resetSlots(key: string, holders: string[], ttlMs: number): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
