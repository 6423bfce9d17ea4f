/**
 * A request-rate policy. `limit` requests per `windowMs` milliseconds.
 * - `fixed`: counter per aligned window.
 * - `sliding`: weighted sum of the previous and the current fixed window (approximation
 *   used by Cloudflare and others; exact at window edges, never more than `limit` per window).
 * - `gcra`: token bucket as the generic cell rate algorithm; `burst` extra requests on top of
 *   the steady rate of `limit / windowMs` (default burst = limit).
 */
export type RateLimitPolicy =
  | { algorithm: 'fixed'; limit: number; windowMs: number }
  | { algorithm: 'sliding'; limit: number; windowMs: number }
  | { algorithm: 'gcra'; limit: number; windowMs: number; burst?: number };

/** What to do when the counter store cannot be reached. Always chosen explicitly. */
export type FailurePolicy = 'fail-open' | 'fail-closed';

/** The outcome of a check. A limit that is hit is a value, never an error. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window (0 when denied). */
  remaining: number;
  /** 0 when allowed; otherwise milliseconds until a request would be allowed. */
  retryAfterMs: number;
  /** Epoch ms at which the window resets (or the bucket is full again). */
  resetAt: number;
  limit: number;
}

/** The outcome of a slot acquisition (concurrent jobs or sessions). */
export interface SlotDecision {
  acquired: boolean;
  /** Holders counted after the call (including this one when acquired). */
  count: number;
  limit: number;
}

/** What `RateLimitStore.reconcileSlots` changed. */
export interface SlotReconcileResult {
  /** Holders of `present` that had no live slot and were given one. */
  added: number;
  /** Holders absent from `present`, confirmed at least `graceMs` ago, that were removed. */
  removed: number;
}
