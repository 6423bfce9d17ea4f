/**
 * MemoryRateLimitStore: the RateLimitStore port in process, using core's rate-limit
 * algorithms (the same math the Redis adapter runs in Lua). Each call runs to completion
 * before the next (one JS turn), so hits are exact under concurrency. Window states and
 * slot holders expire by the injected clock; expired holders are dropped on every call.
 * Each holder also keeps its confirmation time (last granted acquire or refresh), which
 * `reconcileSlots` compares with its grace. Arguments (policy and cost included) are
 * trusted: core's port guard validated them, so the math runs on validated policies.
 */
import {
  applyValidatedRateLimit,
  type Clock,
  DalstonError,
  type RateLimitDecision,
  type RateLimitPolicy,
  type RateLimitState,
  type RateLimitStore,
  type SlotDecision,
  type SlotReconcileResult,
  systemClock,
} from '@dalston/core/adapter';

/** Expired window states are swept after at least this many hits (and never before one can have expired). */
const SWEEP_EVERY = 1024;

export interface MemoryRateLimitStoreOptions {
  clock?: Clock;
}

/** One holder's slot: when it expires, and when it was last confirmed (acquired or refreshed). Epoch ms. */
interface Slot {
  expiresAt: number;
  confirmedAt: number;
}

/** The confirmation time of a holder `reconcileSlots` added: never confirmed by its holder. */
const NEVER = Number.NEGATIVE_INFINITY;

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly clock: Clock;
  private readonly windows = new Map<string, { state: RateLimitState; expiresAt: number }>();
  /** key → holder → its slot (epoch ms). */
  private readonly slots = new Map<string, Map<string, Slot>>();
  /** key → a lower bound of its holders' expiresAt: nothing expires before it, so no walk is needed. */
  private readonly earliest = new Map<string, number>();
  /** A lower bound of every window state's expiresAt (epoch ms): nothing expires before it. */
  private windowsExpireFrom = Number.POSITIVE_INFINITY;
  private hitsSinceSweep = 0;
  private closed = false;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async hit(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    this.assertOpen('hit');
    const now = this.clock.now();
    const stored = this.windows.get(key);
    const outcome = applyValidatedRateLimit(
      stored !== undefined && stored.expiresAt > now ? stored.state : null,
      policy,
      now,
      cost,
    );
    const expiresAt = now + outcome.ttlMs;
    if (stored !== undefined) {
      stored.state = outcome.state;
      stored.expiresAt = expiresAt;
    } else this.windows.set(key, { state: outcome.state, expiresAt });
    if (expiresAt < this.windowsExpireFrom) this.windowsExpireFrom = expiresAt;
    this.sweepWindows(now);
    return outcome.decision;
  }

  async acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision> {
    this.assertOpen('acquireSlot');
    const now = this.clock.now();
    const holders = this.liveHolders(key, now);
    if (holders.has(holder) || holders.size < limit) {
      this.setHolder(key, holders, holder, now + ttlMs, now);
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
    const now = this.clock.now();
    const holders = this.liveHolders(key, now);
    if (!holders.has(holder)) return false;
    this.setHolder(key, holders, holder, now + ttlMs, now);
    return true;
  }

  async holders(key: string): Promise<string[]> {
    this.assertOpen('holders');
    return [...this.liveHolders(key, this.clock.now()).keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async reconcileSlots(
    key: string,
    present: string[],
    options: { ttlMs: number; graceMs: number },
  ): Promise<SlotReconcileResult> {
    this.assertOpen('reconcileSlots');
    const { ttlMs, graceMs } = options;
    const now = this.clock.now();
    const holders = this.liveHolders(key, now);
    const listed = new Set(present);
    const cutoff = now - graceMs;
    let removed = 0;
    for (const [holder, slot] of holders) {
      if (listed.has(holder) || slot.confirmedAt > cutoff) continue;
      holders.delete(holder);
      removed++;
    }
    let added = 0;
    const expiresAt = now + ttlMs;
    for (const holder of listed) {
      const slot = holders.get(holder);
      if (slot === undefined) added++;
      if (slot === undefined || slot.expiresAt < expiresAt)
        this.setHolder(key, holders, holder, expiresAt, slot?.confirmedAt ?? NEVER);
    }
    if (holders.size === 0) this.dropKey(key);
    else this.slots.set(key, holders);
    return { added, removed };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
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
  private liveHolders(key: string, now: number): Map<string, Slot> {
    const holders = this.slots.get(key);
    if (!holders) return new Map();
    if ((this.earliest.get(key) ?? Number.NEGATIVE_INFINITY) > now) return holders;
    let min = Number.POSITIVE_INFINITY;
    for (const [h, { expiresAt }] of holders) {
      if (expiresAt <= now) holders.delete(h);
      else if (expiresAt < min) min = expiresAt;
    }
    if (holders.size === 0) this.dropKey(key);
    else this.earliest.set(key, min);
    return holders;
  }

  private setHolder(
    key: string,
    holders: Map<string, Slot>,
    holder: string,
    expiresAt: number,
    confirmedAt: number,
  ): void {
    holders.set(holder, { expiresAt, confirmedAt });
    // A refresh only moves an expiry later: the old bound stays a valid lower bound.
    const bound = this.earliest.get(key);
    if (bound === undefined || expiresAt < bound) this.earliest.set(key, expiresAt);
  }

  private dropKey(key: string): void {
    this.slots.delete(key);
    this.earliest.delete(key);
  }

  /**
   * Forgets expired window states, so unused keys do not pile up. Runs after SWEEP_EVERY
   * hits or as many hits as there are states (whichever is more, so a sweep costs O(1) per
   * hit), and only once the earliest expiry may have passed (`windowsExpireFrom` is a lower
   * bound of every state's expiresAt), so while nothing can have expired no walk is made.
   */
  private sweepWindows(now: number): void {
    if (++this.hitsSinceSweep < SWEEP_EVERY || now < this.windowsExpireFrom) return;
    if (this.hitsSinceSweep < this.windows.size) return;
    this.hitsSinceSweep = 0;
    let min = Number.POSITIVE_INFINITY;
    for (const [k, w] of this.windows) {
      if (w.expiresAt <= now) this.windows.delete(k);
      else if (w.expiresAt < min) min = w.expiresAt;
    }
    this.windowsExpireFrom = min;
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
