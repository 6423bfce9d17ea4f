/**
 * Suite 3, rate limiting: Dalston's RateLimitStore (Redis and memory) against
 * rate-limiter-flexible 11.4.0 RateLimiterRedis and RateLimiterMemory. Throughput of
 * `rateChecks` checks spread over `rateKeys` keys, one in flight and 50 in flight, with a
 * limit high enough that every check is admitted (so no side pays for rejections); then
 * exactness: 500 concurrent hits on one key with limit 100 must admit exactly 100.
 */
import { MemoryRateLimitStore } from '@dalston/adapter-memory';
import { RedisRateLimitStore } from '@dalston/adapter-redis';
import { guardPortNamed, type RateLimitPolicy, type RateLimitStore } from '@dalston/core/adapter';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { BenchOptions } from '../lib/options.js';
import { deleteKeys, redisClient } from '../lib/redis.js';
import { add } from '../lib/report.js';
import { shared } from '../lib/shared.js';
import { bestOfInterleaved, now, perSecond, runPool, runTag } from '../lib/stats.js';

const RLF = 'rate-limiter-flexible 11.4.0';
const IN_FLIGHT = [1, 50];
const WINDOW_MS = 60_000;
const EXACT_HITS = 500;
const EXACT_LIMIT = 100;

type Check = (key: string) => Promise<boolean>;

/** Checks per second: `count` checks over `keys` keys with `inFlight` concurrent callers. */
async function checksPerSecond(check: Check, count: number, keys: number, inFlight: number, tag: string) {
  const t0 = now();
  await runPool(count, inFlight, async (i) => {
    if (!(await check(`${tag}-k${i % keys}`))) throw new Error('a throughput check was denied');
  });
  return perSecond(count, now() - t0);
}

/** How many of `hits` concurrent checks on one fresh key were admitted. */
async function admitted(check: Check, tag: string): Promise<number> {
  const key = `exact-${tag}-${runTag()}`;
  const results = await Promise.all(Array.from({ length: EXACT_HITS }, () => check(key)));
  return results.filter(Boolean).length;
}

const dalstonCheck =
  (store: RateLimitStore, policy: RateLimitPolicy): Check =>
  async (key) =>
    (await store.hit(key, policy)).allowed;

/** rate-limiter-flexible signals "over the limit" by rejecting with a RateLimiterRes. */
const rlfCheck =
  (limiter: RateLimiterRedis | RateLimiterMemory): Check =>
  async (key) => {
    try {
      await limiter.consume(key);
      return true;
    } catch (e) {
      if (e instanceof RateLimiterRes) return false;
      throw e;
    }
  };

export interface RateFigures {
  /** inFlight -> checks/s */
  dalstonRedis: Map<number, number>;
  rlfRedis: Map<number, number>;
  dalstonMemory: Map<number, number>;
  rlfMemory: Map<number, number>;
  gcraRedis: Map<number, number>;
  exact: Record<'dalstonRedis' | 'dalstonRedisSliding' | 'rlfRedis' | 'dalstonMemory' | 'rlfMemory', number>;
}

export function rateFigures(o: BenchOptions): Promise<RateFigures> {
  return shared('rate', () => measureRate(o));
}

async function measureRate(o: BenchOptions): Promise<RateFigures> {
  const tag = runTag();
  const prefix = `dalston-bench-${tag}`;
  const rlfPrefix = `rlf-bench-${tag}`;
  const client = redisClient(o.redisUrl);
  const guard = (store: RateLimitStore) => (o.guarded ? guardPortNamed('rateLimitStore', store) : store);
  const redisStore = guard(new RedisRateLimitStore({ client, prefix }));
  const memoryStore = guard(new MemoryRateLimitStore());
  const points = Math.ceil(o.counts.rateChecks / o.counts.rateKeys) * (o.repeat + 1) * 10;
  const fixed: RateLimitPolicy = { algorithm: 'fixed', limit: points, windowMs: WINDOW_MS };
  const gcra: RateLimitPolicy = { algorithm: 'gcra', limit: points, windowMs: WINDOW_MS, burst: points };
  const rlfOptions = { points, duration: WINDOW_MS / 1000 };
  const rlfRedis = new RateLimiterRedis({ storeClient: client, keyPrefix: rlfPrefix, ...rlfOptions });
  const rlfMemory = new RateLimiterMemory({ keyPrefix: rlfPrefix, ...rlfOptions });
  const { rateChecks: n, rateKeys: keys } = o.counts;
  const f: RateFigures = {
    dalstonRedis: new Map(),
    rlfRedis: new Map(),
    dalstonMemory: new Map(),
    rlfMemory: new Map(),
    gcraRedis: new Map(),
    exact: { dalstonRedis: 0, dalstonRedisSliding: 0, rlfRedis: 0, dalstonMemory: 0, rlfMemory: 0 },
  };
  try {
    // Warm-up: load the Lua scripts, open connections and let the JIT settle on every path.
    const warm = Math.min(2_000, n);
    await checksPerSecond(dalstonCheck(redisStore, fixed), warm, keys, 10, `${tag}w`);
    await checksPerSecond(dalstonCheck(redisStore, gcra), warm, keys, 10, `${tag}w`);
    await checksPerSecond(rlfCheck(rlfRedis), warm, keys, 10, `${tag}w`);
    await checksPerSecond(dalstonCheck(memoryStore, fixed), warm, keys, 10, `${tag}w`);
    await checksPerSecond(rlfCheck(rlfMemory), warm, keys, 10, `${tag}w`);
    for (const inFlight of IN_FLIGHT) {
      let round = 0;
      const t = () => `${tag}r${round++}`; // fresh keys per repetition
      const best = await bestOfInterleaved(o.repeat, {
        dalstonRedis: () => checksPerSecond(dalstonCheck(redisStore, fixed), n, keys, inFlight, t()),
        rlfRedis: () => checksPerSecond(rlfCheck(rlfRedis), n, keys, inFlight, t()),
        dalstonMemory: () => checksPerSecond(dalstonCheck(memoryStore, fixed), n, keys, inFlight, t()),
        rlfMemory: () => checksPerSecond(rlfCheck(rlfMemory), n, keys, inFlight, t()),
      });
      f.dalstonRedis.set(inFlight, best.dalstonRedis);
      f.rlfRedis.set(inFlight, best.rlfRedis);
      f.dalstonMemory.set(inFlight, best.dalstonMemory);
      f.rlfMemory.set(inFlight, best.rlfMemory);
      f.gcraRedis.set(
        inFlight,
        await checksPerSecond(dalstonCheck(redisStore, gcra), n, keys, inFlight, t()),
      );
      console.log(`  rate in-flight ${inFlight}: ${JSON.stringify(best)}`);
    }
    const strict: RateLimitPolicy = { algorithm: 'fixed', limit: EXACT_LIMIT, windowMs: WINDOW_MS };
    const sliding: RateLimitPolicy = { algorithm: 'sliding', limit: EXACT_LIMIT, windowMs: WINDOW_MS };
    const strictRlf = { points: EXACT_LIMIT, duration: WINDOW_MS / 1000 };
    f.exact.dalstonRedis = await admitted(dalstonCheck(redisStore, strict), tag);
    f.exact.dalstonRedisSliding = await admitted(dalstonCheck(redisStore, sliding), tag);
    f.exact.rlfRedis = await admitted(
      rlfCheck(new RateLimiterRedis({ storeClient: client, keyPrefix: rlfPrefix, ...strictRlf })),
      tag,
    );
    f.exact.dalstonMemory = await admitted(dalstonCheck(guard(new MemoryRateLimitStore()), strict), tag);
    f.exact.rlfMemory = await admitted(rlfCheck(new RateLimiterMemory(strictRlf)), tag);
    return f;
  } finally {
    await redisStore.close();
    await memoryStore.close();
    await deleteKeys(client, `*${prefix}*`);
    await deleteKeys(client, `${rlfPrefix}*`);
    await client.quit();
  }
}

export async function rateSuite(o: BenchOptions): Promise<void> {
  const f = await rateFigures(o);
  const { rateChecks: n, rateKeys: keys } = o.counts;
  for (const inFlight of IN_FLIGHT) {
    const what = `${n} checks over ${keys} keys, ${inFlight} in flight`;
    add({
      suite: '3 rate',
      measurement: `Redis: ${what}`,
      baseline: `${RLF} RateLimiterRedis`,
      dalston: f.dalstonRedis.get(inFlight)!,
      base: f.rlfRedis.get(inFlight)!,
      unit: 'checks/s',
      higherIsBetter: true,
      target: 1,
      note: `fixed window; GCRA ${Math.round(f.gcraRedis.get(inFlight)!)} checks/s`,
    });
    add({
      suite: '3 rate',
      measurement: `memory: ${what}`,
      baseline: `${RLF} RateLimiterMemory`,
      dalston: f.dalstonMemory.get(inFlight)!,
      base: f.rlfMemory.get(inFlight)!,
      unit: 'checks/s',
      higherIsBetter: true,
      target: 1,
      note: 'fixed window',
    });
  }
  const exact = (label: string, dalston: number, base: number, baseline: string) =>
    add({
      suite: '3 rate',
      measurement: `${label}: ${EXACT_HITS} concurrent hits, limit ${EXACT_LIMIT} -> admitted`,
      baseline,
      dalston,
      base,
      unit: '',
      higherIsBetter: true,
      target: 1,
      metOverride: dalston === EXACT_LIMIT,
      note: `exact when Dalston admits ${EXACT_LIMIT}`,
    });
  exact('Redis fixed window', f.exact.dalstonRedis, f.exact.rlfRedis, `${RLF} RateLimiterRedis`);
  exact('Redis sliding window', f.exact.dalstonRedisSliding, f.exact.rlfRedis, `${RLF} RateLimiterRedis`);
  exact('memory fixed window', f.exact.dalstonMemory, f.exact.rlfMemory, `${RLF} RateLimiterMemory`);
}
