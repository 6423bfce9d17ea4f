/**
 * The rate-limit math, as pure functions: given the stored state of one key, the
 * policy, `now` (epoch ms) and the `cost` of the request, return the decision and the
 * state to store back (with how long it must be kept). No I/O, no clock.
 *
 * The memory store calls these directly; the Redis adapter ports the same math to Lua.
 * To keep that port exact, every comparison is done in integers (no floating-point
 * rounding can admit one request too many): the sliding window multiplies through by
 * `windowMs`, and GCRA keeps its level in "ms × limit" units.
 *
 * A denied hit counts nothing: the returned state is the input state (brought up to
 * `now`). All inputs must satisfy `validateRateLimitPolicy` / `validateCost`.
 */
import { validationFailed } from './errors.js';
import type { RateLimitDecision, RateLimitPolicy } from './rate-limit.js';

/** Fixed window: requests counted in the aligned window `[windowStart, windowStart + windowMs)`. */
export interface FixedWindowState {
  algorithm: 'fixed';
  windowStart: number;
  count: number;
}

/** Sliding window: counts of the current aligned window and of the one before it. */
export interface SlidingWindowState {
  algorithm: 'sliding';
  windowStart: number;
  previous: number;
  current: number;
}

/**
 * GCRA: `level` is (TAT − at) × limit, where TAT is the classic "theoretical arrival
 * time". One request adds `windowMs` to the level; the level drains by `limit` per ms.
 * A full bucket (burst tokens spent) has level `burst × windowMs`.
 */
export interface GcraState {
  algorithm: 'gcra';
  at: number;
  level: number;
}

export type RateLimitState = FixedWindowState | SlidingWindowState | GcraState;

export interface RateLimitOutcome<S extends RateLimitState = RateLimitState> {
  decision: RateLimitDecision;
  /** The state to store (unchanged apart from the time shift when denied). */
  state: S;
  /** How long the state must be kept, ms (>= 1). After that it is equivalent to no state. */
  ttlMs: number;
}

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

/** What is wrong with a rate-limit policy: the field (under `policy`) and why. */
export interface PolicyProblem {
  field: 'algorithm' | 'limit' | 'windowMs' | 'burst' | '';
  message: string;
}

/**
 * The one rule for a policy the math can honour exactly; null when it can. Used by
 * `rateLimitPolicySchema` (so tenant limits, config and checks all apply it) and by
 * `validateRateLimitPolicy`. Never throws for a plain value.
 */
export function rateLimitPolicyProblem(policy: unknown): PolicyProblem | null {
  const p = (typeof policy === 'object' && policy !== null ? policy : {}) as {
    algorithm?: unknown;
    limit?: unknown;
    windowMs?: unknown;
    burst?: unknown;
  };
  if (!['fixed', 'sliding', 'gcra'].includes(p.algorithm as string)) {
    return { field: 'algorithm', message: "must be 'fixed', 'sliding' or 'gcra'" };
  }
  if (!isPositiveInt(p.limit)) return { field: 'limit', message: 'must be an integer >= 1' };
  if (!isPositiveInt(p.windowMs)) return { field: 'windowMs', message: 'must be an integer >= 1' };
  const burst = p.algorithm === 'gcra' ? (p.burst ?? p.limit) : p.limit;
  if (!isPositiveInt(burst)) return { field: 'burst', message: 'must be an integer >= 1' };
  // Products like limit × windowMs and burst × windowMs must stay exact in a double (and in Lua).
  if (Math.max(burst, p.limit) * p.windowMs * 2 > Number.MAX_SAFE_INTEGER) {
    return { field: '', message: 'limit × windowMs is too large to count exactly' };
  }
  return null;
}

/** Throws VALIDATION_FAILED (naming the field) for a policy the math cannot honour exactly. */
export function validateRateLimitPolicy(policy: RateLimitPolicy): void {
  const problem = rateLimitPolicyProblem(policy);
  if (problem) {
    throw validationFailed(problem.field ? `policy.${problem.field}` : 'policy', problem.message);
  }
}

/** Throws VALIDATION_FAILED unless `cost` is an integer >= 1. */
export function validateCost(cost: number): void {
  if (!isPositiveInt(cost)) throw validationFailed('cost', 'must be an integer >= 1');
}

/** The fields of a policy as they were when it passed validation. */
interface ValidatedFields {
  algorithm: unknown;
  limit: unknown;
  windowMs: unknown;
  burst: unknown;
}

const sameFields = (seen: ValidatedFields, p: RateLimitPolicy): boolean =>
  seen.algorithm === p.algorithm &&
  seen.limit === p.limit &&
  seen.windowMs === p.windowMs &&
  seen.burst === (p as { burst?: unknown }).burst;

/**
 * `validateRateLimitPolicy` for a hot path that checks the same policy objects over and
 * over (one per call site, typically): a policy object is validated once, and the field
 * values it had then are kept (weakly, by object) and compared on each later call. A
 * mutated object, or another object, is validated again, so bad input still throws
 * VALIDATION_FAILED naming the field. Each store owns one; nothing is shared between them.
 */
export class RateLimitPolicyCheck {
  private readonly seen = new WeakMap<object, ValidatedFields>();
  /** The last policy that passed, in front of the WeakMap (the common case). */
  private lastPolicy: RateLimitPolicy | undefined;
  private lastFields: ValidatedFields | undefined;

  /** Throws VALIDATION_FAILED (naming the field) exactly when `validateRateLimitPolicy` would. */
  validate(policy: RateLimitPolicy): void {
    const last = this.lastFields;
    if (last !== undefined && policy === this.lastPolicy && sameFields(last, policy)) return;
    const seen = typeof policy === 'object' && policy !== null ? this.seen.get(policy) : undefined;
    if (seen === undefined || !sameFields(seen, policy)) {
      validateRateLimitPolicy(policy);
      const { algorithm, limit, windowMs } = policy;
      const fields = { algorithm, limit, windowMs, burst: (policy as { burst?: unknown }).burst };
      this.seen.set(policy, fields);
      this.lastFields = fields;
    } else {
      this.lastFields = seen;
    }
    this.lastPolicy = policy;
  }
}

/** Start of the aligned window containing `now` (windows are aligned to the epoch). */
export const windowStartOf = (now: number, windowMs: number): number => now - (now % windowMs);

/**
 * Fixed window. Allowed when `count + cost <= limit` in the window containing `now`.
 * resetAt = end of the window; retryAfterMs = time to that end (a request costing more
 * than `limit` can never pass: it is denied with retryAfterMs = windowMs).
 */
export function fixedWindow(
  state: FixedWindowState | null,
  policy: { limit: number; windowMs: number },
  now: number,
  cost = 1,
): RateLimitOutcome<FixedWindowState> {
  const { limit, windowMs } = policy;
  const windowStart = windowStartOf(now, windowMs);
  // A state from an older window is worth nothing.
  const count = state && state.windowStart === windowStart ? state.count : 0;
  const resetAt = windowStart + windowMs;
  const ttlMs = resetAt - now;
  if (count + cost <= limit) {
    const next: FixedWindowState = { algorithm: 'fixed', windowStart, count: count + cost };
    return {
      decision: { allowed: true, remaining: limit - count - cost, retryAfterMs: 0, resetAt, limit },
      state: next,
      ttlMs,
    };
  }
  const retryAfterMs = cost > limit ? windowMs : resetAt - now;
  return {
    decision: { allowed: false, remaining: 0, retryAfterMs, resetAt, limit },
    state: { algorithm: 'fixed', windowStart, count },
    ttlMs,
  };
}

/** Brings a sliding-window state to the window containing `now`. */
function rollSliding(state: SlidingWindowState | null, windowStart: number, windowMs: number) {
  if (!state) return { previous: 0, current: 0 };
  if (state.windowStart === windowStart) return { previous: state.previous, current: state.current };
  // The stored window is now the previous one: its count becomes `previous`.
  if (state.windowStart === windowStart - windowMs) return { previous: state.current, current: 0 };
  return { previous: 0, current: 0 }; // two or more windows ago: nothing counts any more
}

/**
 * Sliding window (weighted). With `elapsed = now - windowStart` and W = windowMs, the
 * estimated count of the last W ms is
 *
 *     estimate = previous × (W − elapsed) / W + current
 *
 * and a hit is allowed when `estimate + cost <= limit`. Multiplied through by W, all in
 * integers:
 *
 *     previous × (W − elapsed) + (current + cost) × W  <=  limit × W
 *
 * Because `estimate >= current`, no aligned window ever admits more than `limit`.
 * resetAt is when the estimate reaches zero (end of the next window if the current one
 * has hits, else the end of this one).
 */
export function slidingWindow(
  state: SlidingWindowState | null,
  policy: { limit: number; windowMs: number },
  now: number,
  cost = 1,
): RateLimitOutcome<SlidingWindowState> {
  const { limit, windowMs: W } = policy;
  const windowStart = windowStartOf(now, W);
  const elapsed = now - windowStart;
  const { previous, current } = rollSliding(state, windowStart, W);
  // Everything below is "× W" so it stays integral.
  const weightedPrevious = previous * (W - elapsed);
  const allowed = weightedPrevious + (current + cost) * W <= limit * W;
  const newCurrent = allowed ? current + cost : current;
  const next: SlidingWindowState = { algorithm: 'sliding', windowStart, previous, current: newCurrent };
  const resetAt = newCurrent > 0 ? windowStart + 2 * W : windowStart + W;
  const ttlMs = windowStart + 2 * W - now; // the state matters as "previous" through the next window
  if (allowed) {
    // floor(limit − estimate), in integers: (limit×W − weighted − current×W) / W.
    const remaining = Math.floor((limit * W - weightedPrevious - newCurrent * W) / W);
    return { decision: { allowed, remaining, retryAfterMs: 0, resetAt, limit }, state: next, ttlMs };
  }
  return {
    decision: {
      allowed,
      remaining: 0,
      retryAfterMs: slidingRetryAfter(previous, current, cost, limit, W, elapsed),
      resetAt,
      limit,
    },
    state: next,
    ttlMs,
  };
}

/**
 * Smallest wait (ms) after which the same hit would pass, assuming no other hits.
 * - If `current + cost <= limit`, only the decaying `previous` is in the way: we need
 *   previous × (W − e) <= (limit − current − cost) × W, i.e. the first integer
 *   e >= W − floor((limit − current − cost) × W / previous), in this window.
 * - Otherwise wait for the next window, where `current` becomes the decaying previous:
 *   e' = W − floor((limit − cost) × W / current) into the next window.
 * - A cost above `limit` can never pass: windowMs.
 */
function slidingRetryAfter(
  previous: number,
  current: number,
  cost: number,
  limit: number,
  W: number,
  elapsed: number,
): number {
  if (cost > limit) return W;
  if (current + cost <= limit) {
    const e = W - Math.floor(((limit - current - cost) * W) / previous);
    return Math.max(1, e - elapsed);
  }
  const e = W - Math.floor(((limit - cost) * W) / current);
  return W - elapsed + e;
}

/**
 * GCRA (token bucket). The bucket holds `burst` tokens (default `limit`) and refills at
 * `limit` tokens per `windowMs`. In level units (ms × limit, see GcraState):
 *
 *     level_now = max(0, level − (now − at) × limit)      drain since the last write
 *     newLevel  = level_now + cost × W                    each token weighs W
 *     allowed  ⇔ newLevel <= burst × W
 *
 * So over any interval of length t at most `burst + limit × t / W` requests pass.
 * remaining = floor((burst × W − newLevel) / W) tokens; resetAt = when the level is 0
 * again (bucket full); retryAfterMs = ceil((level_now + cost × W − burst × W) / limit).
 */
export function gcra(
  state: GcraState | null,
  policy: { limit: number; windowMs: number; burst?: number },
  now: number,
  cost = 1,
): RateLimitOutcome<GcraState> {
  const { limit, windowMs: W } = policy;
  const burst = policy.burst ?? limit;
  const capacity = burst * W;
  let level = 0;
  if (state) {
    const elapsed = Math.max(0, now - state.at);
    // Compare before multiplying so elapsed × limit never grows past the level (exactness).
    level = elapsed >= Math.ceil(state.level / limit) ? 0 : Math.max(0, state.level - elapsed * limit);
  }
  const newLevel = level + cost * W;
  if (newLevel <= capacity) {
    const drainMs = Math.ceil(newLevel / limit);
    return {
      decision: {
        allowed: true,
        remaining: Math.floor((capacity - newLevel) / W),
        retryAfterMs: 0,
        resetAt: now + drainMs,
        limit,
      },
      state: { algorithm: 'gcra', at: now, level: newLevel },
      ttlMs: Math.max(1, drainMs),
    };
  }
  const drainMs = Math.ceil(level / limit);
  const retryAfterMs = cost > burst ? W : Math.max(1, Math.ceil((newLevel - capacity) / limit));
  return {
    decision: { allowed: false, remaining: 0, retryAfterMs, resetAt: now + drainMs, limit },
    state: { algorithm: 'gcra', at: now, level },
    ttlMs: Math.max(1, drainMs),
  };
}

/**
 * Applies `policy` to the stored state. A state of another algorithm (the policy of
 * the key changed) counts as no state. Validates policy and cost first.
 */
export function applyRateLimit(
  state: RateLimitState | null,
  policy: RateLimitPolicy,
  now: number,
  cost = 1,
): RateLimitOutcome {
  validateRateLimitPolicy(policy);
  validateCost(cost);
  return applyValidatedRateLimit(state, policy, now, cost);
}

/**
 * `applyRateLimit` without the validation, for callers that validated this policy and
 * cost already (a hot path checking the same policy object many times).
 */
export function applyValidatedRateLimit(
  state: RateLimitState | null,
  policy: RateLimitPolicy,
  now: number,
  cost: number,
): RateLimitOutcome {
  switch (policy.algorithm) {
    case 'fixed':
      return fixedWindow(state?.algorithm === 'fixed' ? state : null, policy, now, cost);
    case 'sliding':
      return slidingWindow(state?.algorithm === 'sliding' ? state : null, policy, now, cost);
    case 'gcra':
      return gcra(state?.algorithm === 'gcra' ? state : null, policy, now, cost);
  }
}
