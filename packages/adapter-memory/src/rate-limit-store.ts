/**
 * MemoryRateLimitStore: the RateLimitStore port in process, using core's rate-limit
 * algorithms (the same math the Redis adapter runs in Lua). Each call runs to completion
 * before the next (one JS turn), so hits are exact under concurrency. Window states and
 * slot holders expire by the injected clock; expired holders are dropped on every call.
 */
import {
  applyValidatedRateLimit,
  type Clock,
  DalstonError,
  type RateLimitDecision,
  type RateLimitOutcome,
  type RateLimitPolicy,
  type RateLimitState,
  type RateLimitStore,
  type SlotDecision,
  systemClock,
  validateCost,
  validateRateLimitPolicy,
} from '@dalston/core';

/** Policy objects already validated, with the fields they had then. */
const validatedPolicies = new WeakMap<
  RateLimitPolicy,
  Pick<RateLimitPolicy, 'algorithm' | 'limit' | 'windowMs'> & { burst?: number }
>();

export interface MemoryRateLimitStoreOptions {
  clock?: Clock;
}

const invalid = (operation: string, field: string, message: string) =>
  new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, {
    store: 'rateLimitStore',
    operation,
    field,
  });

function checkKey(operation: string, value: string, field: string): void {
  if (typeof value !== 'string' || value === '')
    throw invalid(operation, field, 'must be a non-empty string');
}

function checkPositiveInt(operation: string, value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(operation, field, 'must be an integer >= 1');
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly clock: Clock;
  private readonly windows = new Map<string, { state: RateLimitState; expiresAt: number }>();
  /** key → holder → expiresAt (epoch ms). */
  private readonly slots = new Map<string, Map<string, number>>();
  /** key → a lower bound of its holders' expiresAt: nothing expires before it, so no walk is needed. */
  private readonly earliest = new Map<string, number>();
  private closed = false;
  private hits = 0;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async hit(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    this.assertOpen('hit');
    checkKey('hit', key, 'key');
    const now = this.clock.now();
    const stored = this.windows.get(key);
    const state = stored && stored.expiresAt > now ? stored.state : null;
    let outcome: RateLimitOutcome;
    try {
      outcome = this.apply(state, policy, now, cost);
    } catch (e) {
      if (e instanceof DalstonError) {
        const field = e.field;
        throw new DalstonError(e.code, e.message, {
          store: 'rateLimitStore',
          operation: 'hit',
          field,
          cause: e,
        });
      }
      throw e;
    }
    this.windows.set(key, { state: outcome.state, expiresAt: now + outcome.ttlMs });
    this.sweepWindows(now);
    return outcome.decision;
  }

  async acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision> {
    this.assertOpen('acquireSlot');
    checkKey('acquireSlot', key, 'key');
    checkKey('acquireSlot', holder, 'holder');
    checkPositiveInt('acquireSlot', limit, 'limit');
    checkPositiveInt('acquireSlot', ttlMs, 'ttlMs');
    const now = this.clock.now();
    const holders = this.liveHolders(key, now);
    if (holders.has(holder) || holders.size < limit) {
      this.setHolder(key, holders, holder, now + ttlMs);
      this.slots.set(key, holders);
      return { acquired: true, count: holders.size, limit };
    }
    return { acquired: false, count: holders.size, limit };
  }

  async releaseSlot(key: string, holder: string): Promise<boolean> {
    this.assertOpen('releaseSlot');
    const holders = this.liveHolders(key, this.clock.now());
    const had = holders.delete(holder);
    if (holders.size === 0) this.dropKey(key);
    return had;
  }

  async refreshSlot(key: string, holder: string, ttlMs: number): Promise<boolean> {
    this.assertOpen('refreshSlot');
    checkPositiveInt('refreshSlot', ttlMs, 'ttlMs');
    const now = this.clock.now();
    const holders = this.liveHolders(key, now);
    if (!holders.has(holder)) return false;
    this.setHolder(key, holders, holder, now + ttlMs);
    return true;
  }

  async holders(key: string): Promise<string[]> {
    this.assertOpen('holders');
    return [...this.liveHolders(key, this.clock.now()).keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async resetSlots(key: string, holders: string[], ttlMs: number): Promise<void> {
    this.assertOpen('resetSlots');
    checkKey('resetSlots', key, 'key');
    checkPositiveInt('resetSlots', ttlMs, 'ttlMs');
    if (!Array.isArray(holders)) throw invalid('resetSlots', 'holders', 'must be an array of holder ids');
    holders.forEach((h, i) => {
      checkKey('resetSlots', h, `holders[${i}]`);
    });
    const expiresAt = this.clock.now() + ttlMs;
    if (holders.length === 0) this.dropKey(key);
    else {
      this.slots.set(key, new Map(holders.map((h) => [h, expiresAt])));
      this.earliest.set(key, expiresAt);
    }
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Core's `applyRateLimit`, validating a policy object once: the fields it was validated
   * with are kept (by object, weakly) and compared on each call, so a changed or new
   * object is validated again and bad input still fails with VALIDATION_FAILED.
   */
  private apply(state: RateLimitState | null, policy: RateLimitPolicy, now: number, cost: number) {
    const seen = policy !== null && typeof policy === 'object' ? validatedPolicies.get(policy) : undefined;
    if (
      !seen ||
      seen.algorithm !== policy.algorithm ||
      seen.limit !== policy.limit ||
      seen.windowMs !== policy.windowMs ||
      seen.burst !== (policy as { burst?: number }).burst
    ) {
      validateRateLimitPolicy(policy);
      const { algorithm, limit, windowMs } = policy;
      validatedPolicies.set(policy, {
        algorithm,
        limit,
        windowMs,
        burst: (policy as { burst?: number }).burst,
      });
    }
    if (!(Number.isSafeInteger(cost) && cost >= 1)) validateCost(cost);
    return applyValidatedRateLimit(state, policy, now, cost);
  }

  /** Test helper: window states plus slot keys held in memory. */
  size(): number {
    return this.windows.size + this.slots.size;
  }

  /**
   * The holders of `key` after dropping the expired ones (drops the key when none is left).
   * Walks the holders only when the earliest expiry may have passed, so a call is O(1)
   * while nothing expires (slot TTLs are long; holders release explicitly).
   */
  private liveHolders(key: string, now: number): Map<string, number> {
    const holders = this.slots.get(key);
    if (!holders) return new Map();
    if ((this.earliest.get(key) ?? Number.NEGATIVE_INFINITY) > now) return holders;
    let min = Number.POSITIVE_INFINITY;
    for (const [h, expiresAt] of holders) {
      if (expiresAt <= now) holders.delete(h);
      else if (expiresAt < min) min = expiresAt;
    }
    if (holders.size === 0) this.dropKey(key);
    else this.earliest.set(key, min);
    return holders;
  }

  private setHolder(key: string, holders: Map<string, number>, holder: string, expiresAt: number): void {
    holders.set(holder, expiresAt);
    // A refresh only moves an expiry later: the old bound stays a valid lower bound.
    const bound = this.earliest.get(key);
    if (bound === undefined || expiresAt < bound) this.earliest.set(key, expiresAt);
  }

  private dropKey(key: string): void {
    this.slots.delete(key);
    this.earliest.delete(key);
  }

  /** Forgets expired window states every 1024 hits, so unused keys do not pile up. */
  private sweepWindows(now: number): void {
    if (++this.hits % 1024 !== 0) return;
    for (const [k, w] of this.windows) if (w.expiresAt <= now) this.windows.delete(k);
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new DalstonError('CLOSED', `rateLimitStore.${operation}: the store is closed`, {
        store: 'rateLimitStore',
        operation,
      });
    }
  }
}
