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
import type {
  RateLimitDecision,
  RateLimitPolicy,
  SlotDecision,
  SlotReconcileResult,
} from '../domain/rate-limit.js';
import type { PortLifecycle } from './lifecycle.js';

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface RateLimitStore extends PortLifecycle {
  /** Counts `cost` (default 1) against `key` under `policy` and says whether it is allowed. A denied hit counts nothing. */
  hit(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>;
  /**
   * Takes a slot for `holder` under `key` if fewer than `limit` live holders exist.
   * Idempotent per holder: a holder that already has a slot keeps it (TTL renewed) and
   * is not counted twice. Expired holders are dropped first. A granted call records the
   * store's time as the holder's confirmation time (see `reconcileSlots`).
   */
  acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision>;
  /** Gives the slot back. Returns whether the holder had one. Idempotent. */
  releaseSlot(key: string, holder: string): Promise<boolean>;
  /** Renews the holder's TTL and confirmation time. Returns false when it holds no slot. */
  refreshSlot(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Live holders of `key`, sorted. */
  holders(key: string): Promise<string[]>;
  /**
   * Brings the holders of `key` in line with the source of truth, in one atomic step on
   * the store's clock:
   * - every holder in `present` keeps or gets a live slot whose expiry is at least
   *   now + `ttlMs` (a holder given a slot here is counted in `added`; its confirmation
   *   time is "never", so it can be removed as soon as the truth no longer lists it);
   * - a live holder absent from `present` is removed only when its confirmation time
   *   (its last granted `acquireSlot` or `refreshSlot`) is at least `graceMs` before now;
   *   a holder with no recorded confirmation time (written by an older version) is
   *   stamped now and kept.
   *
   * Why this cannot drop a holder in flight (check-then-act between reading the truth and
   * this call): the caller reads `present` from PostgreSQL at some instant R, then calls
   * this at W > R. A holder can be missing from `present` and still be live work only if
   * it was admitted but its row was not committed at R. Passing
   * `graceMs = grace + (W − R as measured by the caller)` makes the cutoff
   * "confirmed before R − grace" on the store's clock (only a duration crosses hosts, so
   * clock skew does not matter; the request's one-way latency is the only slack). Such a
   * holder is removed only if its confirmation was more than `grace` before R while its row
   * was still uncommitted at R, i.e. its confirmation-to-commit window exceeded `grace`.
   * Core keeps that window short: a submit refreshes its slot while its input uploads and
   * confirms it again right before the row is written, so the window is one PostgreSQL
   * write, which `grace` is chosen to exceed. Holders acquired after R are younger than the
   * cutoff and are never touched. Nothing is added beyond `present` (rows committed while
   * holding a slot) and `acquireSlot` alone admits, so a call never lets a tenant past its
   * limit; it can only free slots whose holders are provably gone.
   *
   * Idempotent. Rejects VALIDATION_FAILED for an empty key or holder, `ttlMs` < 1 or
   * `graceMs` < 0 (integers, milliseconds, relative to the store's now).
   */
  reconcileSlots(
    key: string,
    present: string[],
    options: { ttlMs: number; graceMs: number },
  ): Promise<SlotReconcileResult>;
}
