/**
 * Where the Node CPU of the whole flow goes: runs the flow workload (jobs a -> (b, c), no-op
 * handlers) on PostgreSQL + Redis + memory artifacts with the V8 sampling profiler on, and
 * prints self time grouped by where the code lives (core, each adapter, pg, ioredis, zod,
 * Node internals, GC) and the heaviest functions. Not a benchmark with a target: a tool to
 * read before changing the write path.
 *
 *   npx tsx --tsconfig benchmarks/tsconfig.json benchmarks/src/profile-flow.ts [jobs] [concurrency]
 *
 * STORES=postgres keeps Redis's ports in memory, STORES=redis PostgreSQL's (to split the cost).
 * PROFILE=0 skips the profiler (throughput and Node CPU per job only); TOP=n prints n functions.
 *
 * Uses DALSTON_BENCH_DATABASE_URL / DALSTON_BENCH_REDIS_URL (defaults: the test servers), a
 * schema and a key prefix of its own, both removed afterwards.
 */
import { Session } from 'node:inspector/promises';
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { type DalstonAdapters, systemClock } from '@dalston/core';
import pg from 'pg';
import { countQueriesTo } from './lib/cost.js';
import { deleteKeys, redisClient } from './lib/redis.js';
import { runTag } from './lib/stats.js';
import { dalstonFlow } from './suites/flow-workloads.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const jobs = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 8);
const databaseUrl = process.env.DALSTON_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.DALSTON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** PROFILE=0: throughput and CPU only (for A/B runs of two builds). */
const profiling = process.env.PROFILE !== '0';

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)' || fn === '(idle)') return fn;
  const pkg = /packages\/([a-z-]+)\/src/.exec(url);
  if (pkg) return `@dalston/${pkg[1]}`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1] as string;
  if (url.startsWith('node:') || url === '') return 'node internals';
  return 'other';
}

function summarise(nodes: ProfileNode[], intervalUs: number): void {
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    if (a === '(idle)') continue;
    total += hits;
    byArea.set(a, (byArea.get(a) ?? 0) + hits);
    const file = n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${file}:${n.callFrame.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + hits);
  }
  const ms = (h: number) => ((h * intervalUs) / 1000 / jobs).toFixed(3);
  console.log(`\nself time per job, ms (busy samples: ${total})`);
  for (const [a, h] of [...byArea].sort((x, y) => y[1] - x[1]))
    console.log(`  ${ms(h).padStart(7)}  ${((100 * h) / total).toFixed(1).padStart(5)}%  ${a}`);
  console.log('\nsocket writes (writev, writeUtf8String, writeBuffer) by the first caller outside Node');
  const parent = new Map<number, ProfileNode>();
  const byId = new Map<number, ProfileNode>();
  for (const n of nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n);
  }
  const writers = new Map<string, number>();
  for (const n of nodes) {
    if (!/^(writev|writeUtf8String|writeBuffer|writeLatin1String)$/.test(n.callFrame.functionName)) continue;
    let p = parent.get(n.id);
    while (p && !/(packages|node_modules)\//.test(p.callFrame.url)) p = parent.get(p.id);
    const key = p
      ? `${p.callFrame.functionName}  ${p.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '')}`
      : '?';
    writers.set(key, (writers.get(key) ?? 0) + (n.hitCount ?? 0));
  }
  for (const [f, h] of [...writers].sort((x, y) => y[1] - x[1]).slice(0, 12))
    console.log(`  ${ms(h).padStart(7)}  ${((100 * h) / total).toFixed(1).padStart(5)}%  ${f}`);
  console.log("\ninclusive time of the engine's steps (a sample counts once per step on its stack)");
  const inclusive = new Map<string, number>();
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let p: ProfileNode | undefined = n; p; p = parent.get(p.id)) {
      const f = p.callFrame;
      if (!/packages\//.test(f.url) || !f.functionName) continue;
      const key = `${f.functionName}  ${f.url.replace(/^.*\/packages\//, '')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
  }
  for (const [f, h] of [...inclusive].sort((x, y) => y[1] - x[1]).slice(0, 60))
    console.log(`  ${ms(h).padStart(7)}  ${((100 * h) / total).toFixed(1).padStart(5)}%  ${f}`);
  console.log('\nheaviest functions (self)');
  for (const [f, h] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, Number(process.env.TOP ?? 40)))
    console.log(`  ${ms(h).padStart(7)}  ${((100 * h) / total).toFixed(1).padStart(5)}%  ${f}`);
}

async function main(): Promise<void> {
  const tag = runTag();
  const schema = `dalston_prof_${tag}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency });
  const client = redisClient(redisUrl);
  const pgSet = postgresAdapters({ pool, schema });
  await pgSet.migrate();
  const redisSet = redisAdapters({ client, prefix: `dalston-prof-${tag}` });
  // STORES=postgres (Redis's ports in memory) or STORES=redis (PostgreSQL's in memory) splits the cost.
  const mem = memoryAdapters();
  const pgSide = process.env.STORES !== 'redis' ? pgSet : mem;
  const redisSide = process.env.STORES !== 'postgres' ? redisSet : mem;
  const adapters: DalstonAdapters = {
    jobStore: pgSide.jobStore,
    tenantStore: pgSide.tenantStore,
    apiKeyStore: pgSide.apiKeyStore,
    sessionArchive: pgSide.sessionArchive,
    workQueue: redisSide.workQueue,
    sessionStore: redisSide.sessionStore,
    rateLimitStore: redisSide.rateLimitStore,
    eventBus: redisSide.eventBus,
    artifactStore: mem.artifactStore,
    clock: systemClock,
  };
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    const queries = countQueriesTo(new URL(databaseUrl).pathname.slice(1));
    const queries0 = queries();
    const cpu0 = process.cpuUsage();
    if (profiling) await session.post('Profiler.start');
    const run = await dalstonFlow(adapters, jobs, concurrency);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${jobs} jobs, concurrency ${concurrency}: ${run.rate.toFixed(1)} jobs/s, ` +
        `Node CPU ${((cpu.user + cpu.system) / 1000 / jobs).toFixed(2)} ms/job ` +
        `(user ${(cpu.user / 1000 / jobs).toFixed(2)}, system ${(cpu.system / 1000 / jobs).toFixed(2)}; profiler ${profiling ? 'on' : 'off'}), ` +
        `${((queries() - queries0) / jobs).toFixed(2)} PostgreSQL statements/job`,
    );
    if (profiling) summarise((await session.post('Profiler.stop')).profile.nodes as ProfileNode[], 200);
  } finally {
    session.disconnect();
    await redisSet.close();
    await deleteKeys(client, `*dalston-prof-${tag}*`);
    await client.quit();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
