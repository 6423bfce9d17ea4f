/**
 * RedisRateLimitStore: each hit is one Lua call on the key's own hash
 * (`{<prefix>:rl:<key>}`), a port of core's reference math (rate-limit-algorithms.ts) with
 * the same integer arithmetic, remaining / retryAfterMs / resetAt definitions and TTLs,
 * on the server's clock (the fixed window keeps one field per window: TIME + HINCRBY per
 * hit, see lua/rate-fixed.lua). Concurrency slots are a sorted set per key
 * (`{<prefix>:sl:<key>}`, holder -> expiry), so release is idempotent and a crashed
 * holder's slot expires by itself; a companion set (`…:at`, holder -> last acquire or
 * refresh, server time) lets `reconcileSlots` spare holders confirmed within its grace.
 *
 * Hits made in the same tick (concurrent callers) go out together as one pipeline: one
 * socket write for all of them instead of one each, which is most of the client's CPU per
 * hit. Each script still runs atomically on its own, so admission stays exact. On a
 * Cluster client (keys of a pipeline must share a slot) every hit is sent alone.
 * Arguments (policies and costs included) are trusted: core's port guard validated them.
 */
import {
  type RateLimitDecision,
  type RateLimitPolicy,
  type RateLimitStore,
  type SlotDecision,
  type SlotReconcileResult,
  storeUnavailable,
} from '@dalston/core/adapter';
import { isCluster } from './connection.js';
import { KeyLayout } from './keys.js';
import { type LuaScript, type RedisClient, scripts } from './scripts.js';
import { closedError, guard } from './store-errors.js';

export interface RedisRateLimitStoreOptions {
  client: RedisClient;
  prefix?: string;
}

/** Hits sent in one pipeline at most (a burst larger than this goes out in several writes). */
const MAX_BATCH = 512;

/** A hit waiting for this tick's pipeline. */
interface PendingHit {
  script: LuaScript;
  key: string;
  args: number[];
  limit: number;
  resolve: (decision: RateLimitDecision) => void;
  reject: (error: unknown) => void;
}

const isNoScript = (e: unknown) => e instanceof Error && e.message.includes('NOSCRIPT');

/** The scripts' reply {allowed, remaining, retryAfterMs, resetAt} as a decision. */
const decision = (r: unknown, limit: number): RateLimitDecision => {
  const a = r as unknown[];
  return {
    allowed: Number(a[0]) === 1,
    remaining: Number(a[1]),
    retryAfterMs: Number(a[2]),
    resetAt: Number(a[3]),
    limit,
  };
};

export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: RedisClient;
  private readonly keys: KeyLayout;
  /** Whether hits of one tick share a pipeline (not on a Cluster, see the file's docblock). */
  private readonly batches: boolean;
  private pending: PendingHit[] = [];
  private closed = false;

  constructor(options: RedisRateLimitStoreOptions) {
    this.client = options.client;
    this.keys = new KeyLayout(options.prefix ?? 'dalston');
    this.batches = !isCluster(this.client);
  }

  hit(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    // Not `async`: the hit resolves from the pipeline's reply, without another promise around it.
    try {
      this.assertOpen('hit');
    } catch (e) {
      return Promise.reject(e);
    }
    const { limit, windowMs } = policy;
    const script =
      policy.algorithm === 'fixed'
        ? scripts.rateFixed
        : policy.algorithm === 'sliding'
          ? scripts.rateSliding
          : scripts.rateGcra;
    const args =
      policy.algorithm === 'gcra' ? [limit, windowMs, cost, policy.burst ?? limit] : [limit, windowMs, cost];
    const redisKey = this.keys.rateLimit(key);
    return new Promise((resolve, reject) => {
      const hit: PendingHit = { script, key: redisKey, args, limit, resolve, reject };
      if (!this.batches) {
        this.sendAlone(hit);
        return;
      }
      // The first hit of a tick schedules the flush; it runs once the microtasks queued by
      // this tick (other callers' hits) have run, so they all share the pipeline.
      const n = this.pending.push(hit);
      if (n === 1) process.nextTick(this.flush);
      else if (n >= MAX_BATCH) this.flush();
    });
  }

  /** Sends this tick's hits: alone when there is one, else as one pipeline. */
  private readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (batch.length === 1) {
      this.sendAlone(batch[0]!);
      return;
    }
    const pipeline = this.client.pipeline();
    for (const h of batch) pipeline.evalsha(h.script.sha, 1, h.key, ...h.args);
    pipeline.exec().then(
      (replies) => {
        for (let i = 0; i < batch.length; i++) this.settle(batch[i]!, replies?.[i]);
      },
      (e: unknown) => {
        for (const h of batch) h.reject(storeUnavailable('rateLimitStore', 'hit', e));
      },
    );
  };

  /** Settles one hit of a pipeline from its `[error, reply]` pair. */
  private settle(h: PendingHit, reply: [Error | null, unknown] | undefined): void {
    if (reply === undefined) {
      h.reject(storeUnavailable('rateLimitStore', 'hit', new Error('no reply for this hit in the pipeline')));
    } else if (reply[0] === null) {
      h.resolve(decision(reply[1], h.limit));
    } else if (isNoScript(reply[0])) {
      this.sendAlone(h); // the server lost the script (restart, SCRIPT FLUSH): EVAL loads it again
    } else {
      h.reject(storeUnavailable('rateLimitStore', 'hit', reply[0]));
    }
  }

  /**
   * One hit in its own round trip: EVALSHA, then EVAL if the server lost the script. Called
   * on the client directly (not through LuaScript.run, an async function): one promise less
   * per hit with one in flight.
   */
  private sendAlone(h: PendingHit): void {
    const { script, key, args } = h;
    this.client.evalsha(script.sha, 1, key, ...args).then(
      (r) => h.resolve(decision(r, h.limit)),
      (e: unknown) => {
        if (!isNoScript(e)) h.reject(storeUnavailable('rateLimitStore', 'hit', e));
        else
          this.client.eval(script.source, 1, key, ...args).then(
            (r) => h.resolve(decision(r, h.limit)),
            (e2: unknown) => h.reject(storeUnavailable('rateLimitStore', 'hit', e2)),
          );
      },
    );
  }

  async acquireSlot(key: string, holder: string, limit: number, ttlMs: number): Promise<SlotDecision> {
    this.assertOpen('acquireSlot');
    return guard('rateLimitStore', 'acquireSlot', async () => {
      const r = (await scripts.slotAcquire.run(this.client, this.keys.slotSet(key), [
        holder,
        limit,
        ttlMs,
      ])) as number[];
      return { acquired: Number(r[0]) === 1, count: Number(r[1]), limit };
    });
  }

  async releaseSlot(key: string, holder: string): Promise<boolean> {
    this.assertOpen('releaseSlot');
    return guard('rateLimitStore', 'releaseSlot', async () => {
      return Number(await scripts.slotRelease.run(this.client, this.keys.slotSet(key), [holder])) === 1;
    });
  }

  async refreshSlot(key: string, holder: string, ttlMs: number): Promise<boolean> {
    this.assertOpen('refreshSlot');
    return guard('rateLimitStore', 'refreshSlot', async () => {
      return (
        Number(await scripts.slotRefresh.run(this.client, this.keys.slotSet(key), [holder, ttlMs])) === 1
      );
    });
  }

  async holders(key: string): Promise<string[]> {
    this.assertOpen('holders');
    return guard('rateLimitStore', 'holders', async () => {
      const r = (await scripts.slotHolders.run(this.client, [this.keys.slots(key)], [])) as string[];
      return [...r].sort();
    });
  }

  async reconcileSlots(
    key: string,
    present: string[],
    options: { ttlMs: number; graceMs: number },
  ): Promise<SlotReconcileResult> {
    this.assertOpen('reconcileSlots');
    const { ttlMs, graceMs } = options;
    return guard('rateLimitStore', 'reconcileSlots', async () => {
      const r = (await scripts.slotReconcile.run(this.client, this.keys.slotSet(key), [
        ttlMs,
        graceMs,
        ...new Set(present),
      ])) as number[];
      return { added: Number(r[0]), removed: Number(r[1]) };
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
