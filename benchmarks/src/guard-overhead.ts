/**
 * `npx tsx --tsconfig benchmarks/tsconfig.json benchmarks/src/guard-overhead.ts [mainTree]`:
 * the cost of core's port guard on the hot paths, interleaved in one process so machine
 * noise hits every variant alike. Variants: this tree's adapters called raw (what they do
 * now: no checks), the same behind `guardPortNamed` (what createDalston uses), and, when
 * a second tree is given (e.g. /work/main), that tree's adapters (which checked their own
 * arguments). Memory rate-limit hits and queue enqueue/lease/ack rounds (memory and Redis).
 */
import 'reflect-metadata';
import { MemoryRateLimitStore, MemoryWorkQueue } from '@dalston/adapter-memory';
import { RedisRateLimitStore, RedisWorkQueue } from '@dalston/adapter-redis';
import {
  guardPortNamed,
  type QueueMessage,
  type RateLimitStore,
  type WorkQueue,
} from '@dalston/core/adapter';
import { Redis } from 'ioredis';

const other = process.argv[2];
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const redisUrl = process.env.DALSTON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Variant = {
  name: string;
  rate: RateLimitStore;
  queue: WorkQueue;
  redisQueue: WorkQueue;
  redisRate: RateLimitStore;
};

async function variants(client: Redis): Promise<Variant[]> {
  const tag = `go-${process.pid}`;
  const out: Variant[] = [];
  const mk = (
    name: string,
    m: typeof import('@dalston/adapter-memory'),
    r: typeof import('@dalston/adapter-redis'),
    guard: boolean,
  ) => {
    const g = <T extends object>(n: 'rateLimitStore' | 'workQueue', p: T): T =>
      guard ? (guardPortNamed(n, p as never) as T) : p;
    out.push({
      name,
      rate: g('rateLimitStore', new m.MemoryRateLimitStore()),
      queue: g('workQueue', new m.MemoryWorkQueue()),
      redisQueue: g('workQueue', new r.RedisWorkQueue({ client, prefix: `${tag}-${name}` })),
      redisRate: g('rateLimitStore', new r.RedisRateLimitStore({ client, prefix: `${tag}-${name}` })),
    });
  };
  const here = { MemoryRateLimitStore, MemoryWorkQueue } as never;
  const hereRedis = { RedisRateLimitStore, RedisWorkQueue } as never;
  mk('branch raw', here, hereRedis, false);
  mk('branch guarded', here, hereRedis, true);
  if (other) {
    const m = await import(`${other}/packages/adapter-memory/src/index.ts`);
    const r = await import(`${other}/packages/adapter-redis/src/index.ts`);
    mk('main (self-checking)', m, r, false);
  }
  return out;
}

const policy = { algorithm: 'fixed' as const, limit: 1e9, windowMs: 60_000 };
const msg = (q: string, i: number): QueueMessage => ({
  id: `t${i}:1`,
  queue: q,
  taskId: `t${i}`,
  jobId: 'j',
  tenantId: 'tn',
  attempt: 1,
  priority: 0,
  notBefore: null,
  maxDeliveries: 5,
});

async function perSecond(n: number, body: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await body(i);
  return n / ((performance.now() - t0) / 1000);
}

async function queueRound(q: WorkQueue, name: string, n: number): Promise<number> {
  return perSecond(n, async (i) => {
    await q.enqueue([msg(name, i)]);
    const lease = await q.lease([name], { leaseMs: 30_000, waitMs: 0 });
    await q.ack(name, lease!.message.id, lease!.token);
  });
}

const measures: Record<string, (v: Variant, r: number) => Promise<number>> = {
  'memory rate hit (checks/s)': (v, r) => perSecond(50_000, (i) => v.rate.hit(`k${r}-${i % 1000}`, policy)),
  'memory queue enqueue+lease+ack (tasks/s)': (v, r) => queueRound(v.queue, `mq-${r}`, 10_000),
  'Redis rate hit, 1 in flight (checks/s)': (v, r) =>
    perSecond(1_000, (i) => v.redisRate.hit(`k${r}-${i % 100}`, policy)),
  'Redis queue enqueue+lease+ack (tasks/s)': (v, r) => queueRound(v.redisQueue, `rq-${r}`, 500),
};

async function main(): Promise<void> {
  const client = new Redis(redisUrl);
  const vs = await variants(client);
  const results = new Map<string, Map<string, number[]>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [measure, run] of Object.entries(measures)) {
      // Rotate the order each round so no variant always runs first.
      for (let k = 0; k < vs.length; k++) {
        const v = vs[(k + round) % vs.length]!;
        const value = await run(v, round);
        if (round === 0) continue; // warm-up
        const byVariant = results.get(measure) ?? new Map<string, number[]>();
        byVariant.set(v.name, [...(byVariant.get(v.name) ?? []), value]);
        results.set(measure, byVariant);
      }
    }
  }
  for (const [measure, byVariant] of results) {
    console.log(measure);
    const base = byVariant.get('main (self-checking)') ?? byVariant.get('branch raw')!;
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    for (const [name, values] of byVariant) {
      const ratios = values.map((v, i) => v / base[i]!);
      console.log(
        `  ${name.padEnd(22)} median ${med(values).toFixed(0)}  range ${Math.min(...values).toFixed(0)}..${Math.max(...values).toFixed(0)}  per-round ratio to ${byVariant.has('main (self-checking)') ? 'main' : 'raw'}: median ${med(ratios).toFixed(2)} range ${Math.min(...ratios).toFixed(2)}..${Math.max(...ratios).toFixed(2)}`,
      );
    }
  }
  for (const v of vs) {
    await v.redisQueue.close();
    await v.redisRate.close();
  }
  const keys = await client.keys(`*go-${process.pid}*`);
  if (keys.length) await client.del(...keys);
  await client.quit();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
