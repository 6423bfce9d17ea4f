/**
 * The in-process limiter used when a limit is `fail-open` and the RateLimitStore is
 * unreachable. It applies the same pure algorithms (`rate-limit-algorithms.ts`) on this
 * process's clock, so a degraded host still limits what passes through it (not what
 * the whole fleet admits). State is bounded: expired entries are dropped as they age.
 */

import type { RateLimitDecision, RateLimitPolicy, SlotDecision } from '../../domain/rate-limit.js';
import { applyRateLimit, type RateLimitState } from '../../domain/rate-limit-algorithms.js';
import type { Clock } from '../../ports/clock.js';

const MAX_KEYS = 10_000;

export class FallbackLimiter {
  private readonly windows = new Map<string, { state: RateLimitState; expiresAt: number }>();
  private readonly slots = new Map<string, Map<string, number>>();

  constructor(private readonly clock: Clock) {}

  hit(key: string, policy: RateLimitPolicy, cost = 1): RateLimitDecision {
    const now = this.clock.now();
    const stored = this.windows.get(key);
    const state = stored && stored.expiresAt > now ? stored.state : null;
    const outcome = applyRateLimit(state, policy, now, cost);
    this.windows.delete(key);
    this.windows.set(key, { state: outcome.state, expiresAt: now + outcome.ttlMs });
    this.evict(this.windows, now);
    return outcome.decision;
  }

  acquireSlot(key: string, holder: string, limit: number, ttlMs: number): SlotDecision {
    const now = this.clock.now();
    const holders = this.live(key, now);
    if (!holders.has(holder) && holders.size >= limit) return { acquired: false, count: holders.size, limit };
    holders.set(holder, now + ttlMs);
    return { acquired: true, count: holders.size, limit };
  }

  releaseSlot(key: string, holder: string): boolean {
    return this.slots.get(key)?.delete(holder) ?? false;
  }

  refreshSlot(key: string, holder: string, ttlMs: number): boolean {
    const holders = this.live(key, this.clock.now());
    if (!holders.has(holder)) return false;
    holders.set(holder, this.clock.now() + ttlMs);
    return true;
  }

  private live(key: string, now: number): Map<string, number> {
    let holders = this.slots.get(key);
    if (!holders) {
      holders = new Map();
      this.slots.set(key, holders);
      if (this.slots.size > MAX_KEYS) this.slots.delete(this.slots.keys().next().value!);
    }
    for (const [h, exp] of holders) if (exp <= now) holders.delete(h);
    return holders;
  }

  private evict(map: Map<string, { expiresAt: number }>, now: number): void {
    for (const [k, v] of map) {
      if (map.size <= MAX_KEYS && v.expiresAt > now) break;
      map.delete(k);
    }
  }
}
