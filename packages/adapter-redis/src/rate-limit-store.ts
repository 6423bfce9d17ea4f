/**
 * RedisRateLimitStore: each hit is one Lua round trip on the key's own hash
 * (`{<prefix>:rl:<key>}`), a port of core's reference math (rate-limit-algorithms.ts) with
 * the same integer arithmetic, remaining / retryAfterMs / resetAt definitions and TTLs,
 * on the server's clock. Concurrency slots are a sorted set per key
 * (`{<prefix>:sl:<key>}`, holder -> expiry), so release is idempotent and a crashed
 * holder's slot expires by itself.
 */
import {
  type RateLimitDecision,
  type RateLimitPolicy,
  type RateLimitStore,
  type SlotDecision,
  validateCost,
  validateRateLimitPolicy,
} from '@dalston/core';
import { KeyLayout } from './keys.js';
import { type RedisClient, scripts } from './scripts.js';
import { closedError, guard, invalid } from './store-errors.js';

export interface RedisRateLimitStoreOptions {
  client: RedisClient;
  prefix?: string;
}

const withStore = (operation: string, check: () => void) => {
  try {
    check();
  } catch (e) {
    const err = e as { field?: string; message?: string };
    throw invalid(
      'rateLimitStore',
      operation,
      err.field ?? 'policy',
      (err.message ?? '').replace(/^[^:]*: /, ''),
    );
  }
};

const checkKey = (operation: string, key: unknown, field = 'key') => {
  if (typeof key !== 'string' || key.length === 0)
    throw invalid('rateLimitStore', operation, field, 'must be a non-empty string');
};

const checkPositiveInt = (operation: string, field: string, n: unknown) => {
  if (!Number.isSafeInteger(n) || (n as number) < 1)
    throw invalid('rateLimitStore', operation, field, 'must be an integer >= 1');
};

export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: RedisClient;
  private readonly keys: KeyLayout;
  private closed = false;

  constructor(options: RedisRateLimitStoreOptions) {
    this.client = options.client;
    this.keys = new KeyLayout(options.prefix ?? 'dalston');
  }

  async hit(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    this.assertOpen('hit');
    checkKey('hit', key);
    withStore('hit', () => validateRateLimitPolicy(policy));
    withStore('hit', () => validateCost(cost));
    return guard('rateLimitStore', 'hit', async () => {
      const k = [this.keys.rateLimit(key)];
      const args = [policy.limit, policy.windowMs, cost];
      const r = (await (policy.algorithm === 'fixed'
        ? scripts.rateFixed.run(this.client, k, args)
        : policy.algorithm === 'sliding'
          ? scripts.rateSliding.run(this.client, k, args)
          : scripts.rateGcra.run(this.client, k, [...args, policy.burst ?? policy.limit]))) as number[];
      return {
        allowed: Number(r[0]) === 1,
        remaining: Number(r[1]),
        retryAfterMs: Number(r[2]),
        resetAt: Number(r[3]),
        limit: policy.limit,
      };
    });
  }

  async acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision> {
    this.assertOpen('acquireSlot');
    checkKey('acquireSlot', key);
    checkKey('acquireSlot', holder, 'holder');
    checkPositiveInt('acquireSlot', 'limit', limit);
    checkPositiveInt('acquireSlot', 'ttlMs', ttlMs);
    return guard('rateLimitStore', 'acquireSlot', async () => {
      const r = (await scripts.slotAcquire.run(
        this.client,
        [this.keys.slots(key)],
        [holder, limit, ttlMs],
      )) as number[];
      return { acquired: Number(r[0]) === 1, count: Number(r[1]), limit };
    });
  }

  async releaseSlot(key: string, holder: string): Promise<boolean> {
    return guard('rateLimitStore', 'releaseSlot', async () => {
      return Number(await scripts.slotRelease.run(this.client, [this.keys.slots(key)], [holder])) === 1;
    });
  }

  async refreshSlot(key: string, holder: string, ttlMs: number): Promise<boolean> {
    checkPositiveInt('refreshSlot', 'ttlMs', ttlMs);
    return guard('rateLimitStore', 'refreshSlot', async () => {
      return (
        Number(await scripts.slotRefresh.run(this.client, [this.keys.slots(key)], [holder, ttlMs])) === 1
      );
    });
  }

  async holders(key: string): Promise<string[]> {
    return guard('rateLimitStore', 'holders', async () => {
      const r = (await scripts.slotHolders.run(this.client, [this.keys.slots(key)], [])) as string[];
      return [...r].sort();
    });
  }

  async resetSlots(key: string, holders: string[], ttlMs: number): Promise<void> {
    this.assertOpen('resetSlots');
    checkKey('resetSlots', key);
    checkPositiveInt('resetSlots', 'ttlMs', ttlMs);
    if (!Array.isArray(holders) || !holders.every((h) => typeof h === 'string' && h.length > 0)) {
      throw invalid('rateLimitStore', 'resetSlots', 'holders', 'must be an array of non-empty strings');
    }
    await guard('rateLimitStore', 'resetSlots', async () => {
      await scripts.slotReset.run(this.client, [this.keys.slots(key)], [ttlMs, ...new Set(holders)]);
    });
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    await guard('rateLimitStore', 'ping', async () => {
      await this.client.ping();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw closedError('rateLimitStore', operation);
  }
}
