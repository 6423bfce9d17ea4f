/**
 * Suite 2, whole flow: Dalston on PostgreSQL + Redis + memory artifacts against
 * graphile-worker 0.18.0 (same PostgreSQL), BullMQ 6.7.0 flows (FlowProducer), pg-boss
 * 10.4.2 and the PostgreSQL commit rate on the same connection count, at each worker
 * concurrency; beside each throughput the CPU per job of every process involved and the
 * statements per job (see lib/cost.ts), and submit-to-start latency with an idle worker.
 * PostgreSQL work runs in a database created for this run (each contender in its own
 * schema), so transactions per job are read from `pg_stat_database` (commit + rollback
 * deltas, after the measured pools closed). Redis work runs on a private redis-server
 * started for the suite, so its CPU and commands are the run's own.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { type DalstonAdapters, systemClock } from '@dalston/core';
import { runMigrations } from 'graphile-worker';
import pg from 'pg';
import { startRedisServer } from '../../../test-support/redis.js';
import { type CostMeterOptions, describeCost, type PerJob, perJob } from '../lib/cost.js';
import type { BenchOptions } from '../lib/options.js';
import { type BenchDatabase, commitRate, createBenchDatabase, settledTransactions } from '../lib/postgres.js';
import { deleteKeys, redisClient } from '../lib/redis.js';
import { shared } from '../lib/shared.js';
import { type Latency, runTag } from '../lib/stats.js';
import { bullLatency, dalstonLatency, graphileLatency } from './flow-latency.js';
import { bullFlow, type FlowRun, graphileFlow, silentGraphileLogger } from './flow-peers.js';
import { flowRows } from './flow-rows.js';
import { dalstonFlow, pgBossFlow } from './flow-workloads.js';

export type Contender = 'dalston' | 'graphile' | 'bull' | 'pgBoss';
export const CONTENDERS: Contender[] = ['dalston', 'graphile', 'bull', 'pgBoss'];

export interface Measured {
  rate: number;
  /** Transactions per job (PostgreSQL contenders). */
  tx: number;
  cost: PerJob;
}

export interface ConcurrencyFigures extends Record<Contender, Measured> {
  commitRate: number;
  /** Every repetition, for ranges. */
  runs: (Record<Contender, Measured> & { commitRate: number })[];
}

export interface FlowFigures {
  byConcurrency: Map<number, ConcurrencyFigures>;
  latency: { dalston: Latency; graphile: Latency; bull: Latency } | null;
}

export function flowFigures(o: BenchOptions): Promise<FlowFigures> {
  return shared('flow', () => measureFlow(o));
}

interface Env {
  o: BenchOptions;
  db: BenchDatabase;
  redisUrl: string;
}

const pgMeter = (e: Env, redisUrl?: string): CostMeterOptions => ({
  adminUrl: e.o.databaseUrl,
  database: e.db.name,
  ...(redisUrl ? { redis: redisClient(redisUrl) } : {}),
});

async function closeMeter(m: CostMeterOptions): Promise<void> {
  await m.redis?.quit().catch(() => {});
}

/** An idle client killed by the server (another session's pg_terminate_backend) must not crash the run. */
function watched(pool: pg.Pool): pg.Pool {
  pool.on('error', (err) => console.warn(`  flow: idle PostgreSQL client lost: ${err.message}`));
  return pool;
}

/** Dalston's adapter set on the run's database (a schema of its own, migrated) and Redis. */
async function withDalston<T>(
  e: Env,
  concurrency: number,
  fn: (adapters: DalstonAdapters) => Promise<T>,
): Promise<T> {
  const tag = runTag();
  const schema = `dalston_${tag}`;
  const migratePool = watched(new pg.Pool({ connectionString: e.db.url, max: 2 }));
  await postgresAdapters({ pool: migratePool, schema }).migrate();
  await migratePool.end(); // a fresh pool for the measured part: migrations are not counted
  await settledTransactions(e.db, 0);
  const pool = watched(new pg.Pool({ connectionString: e.db.url, max: concurrency }));
  const pgSet = postgresAdapters({ pool, schema });
  const client = redisClient(e.redisUrl);
  const redisSet = redisAdapters({ client, prefix: `dalston-bench-${tag}` });
  const adapters: DalstonAdapters = {
    jobStore: pgSet.jobStore,
    tenantStore: pgSet.tenantStore,
    apiKeyStore: pgSet.apiKeyStore,
    sessionArchive: pgSet.sessionArchive,
    workQueue: redisSet.workQueue,
    sessionStore: redisSet.sessionStore,
    rateLimitStore: redisSet.rateLimitStore,
    eventBus: redisSet.eventBus,
    artifactStore: memoryAdapters().artifactStore,
    clock: systemClock,
  };
  try {
    const out = await fn(adapters);
    await pool.end();
    return out;
  } finally {
    await pool.end().catch(() => {});
    await redisSet.close();
    await deleteKeys(client, `*dalston-bench-${tag}*`);
    await client.quit();
  }
}

function measured(run: FlowRun, jobs: number, tx: number): Measured {
  return { rate: run.rate, tx, cost: perJob(run.cost, jobs, run.ownQueries) };
}

async function runDalston(e: Env, c: number): Promise<Measured> {
  const jobs = e.o.counts.flowJobs;
  const meter = pgMeter(e, e.redisUrl);
  try {
    let before = 0;
    const run = await withDalston(e, c, async (adapters) => {
      before = await e.db.transactions();
      return dalstonFlow(adapters, jobs, c, meter);
    });
    return measured(run, jobs, (await settledTransactions(e.db, before)) / jobs);
  } finally {
    await closeMeter(meter);
  }
}

async function runGraphile(e: Env, c: number): Promise<Measured> {
  const jobs = e.o.counts.flowJobs;
  const schema = `graphile_${runTag()}`;
  await runMigrations({ connectionString: e.db.url, schema, logger: silentGraphileLogger });
  await settledTransactions(e.db, 0);
  const before = await e.db.transactions();
  const run = await graphileFlow(e.db.url, schema, jobs, c, pgMeter(e));
  const tx = ((await settledTransactions(e.db, before)) - run.ownQueries) / jobs;
  return measured(run, jobs, tx);
}

async function runBull(e: Env, c: number): Promise<Measured> {
  const prefix = `bull-bench-${runTag()}`;
  const meter: CostMeterOptions = { redis: redisClient(e.redisUrl) };
  try {
    const run = await bullFlow(e.redisUrl, prefix, e.o.counts.flowJobs, c, meter);
    return measured(run, e.o.counts.flowJobs, Number.NaN);
  } finally {
    await deleteKeys(meter.redis!, `${prefix}*`);
    await closeMeter(meter);
  }
}

async function runPgBoss(e: Env, c: number): Promise<Measured> {
  const jobs = e.o.counts.flowJobs;
  const schema = `pgboss_${runTag()}`;
  const before = await e.db.transactions();
  const run = await pgBossFlow(e.db.url, schema, jobs, c, pgMeter(e));
  const tx = ((await settledTransactions(e.db, before)) - run.polls) / jobs;
  return measured(run, jobs, tx);
}

const best = (a: Measured | undefined, b: Measured): Measured => (a && a.rate >= b.rate ? a : b);

async function measureLatency(e: Env): Promise<FlowFigures['latency']> {
  const n = e.o.counts.latencySamples;
  const dalston = await withDalston(e, 1, (adapters) => dalstonLatency(adapters, n));
  const schema = `graphile_${runTag()}`;
  await runMigrations({ connectionString: e.db.url, schema, logger: silentGraphileLogger });
  const graphile = await graphileLatency(e.db.url, schema, n);
  const prefix = `bull-bench-${runTag()}`;
  const bull = await bullLatency(e.redisUrl, prefix, n);
  const cleanup = redisClient(e.redisUrl);
  await deleteKeys(cleanup, `${prefix}*`);
  await cleanup.quit();
  const ms = (l: Latency) => `p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms`;
  console.log(
    `  flow submit-to-start, idle worker: dalston ${ms(dalston)}; graphile ${ms(graphile)}; bullmq ${ms(bull)}`,
  );
  return { dalston, graphile, bull };
}

async function measureFlow(o: BenchOptions): Promise<FlowFigures> {
  const db = await createBenchDatabase(o.databaseUrl);
  const redis = await startRedisServer().catch((err) => {
    console.warn(
      `  no private redis-server (${err}); using ${o.redisUrl}: Redis CPU and commands include other clients`,
    );
    return null;
  });
  const e: Env = { o, db, redisUrl: redis?.url ?? o.redisUrl };
  const byConcurrency: FlowFigures['byConcurrency'] = new Map();
  try {
    for (const c of o.counts.flowConcurrency) {
      const runs: ConcurrencyFigures['runs'] = [];
      const repeat = o.quick ? o.repeat : Math.min(o.repeat, 2);
      for (let r = 0; r < repeat; r++) {
        const dalston = await runDalston(e, c);
        const graphile = await runGraphile(e, c);
        const bull = await runBull(e, c);
        const pgBoss = await runPgBoss(e, c);
        const commits = await commitRate(db.url, c, o.counts.commitLoopMs);
        runs.push({ dalston, graphile, bull, pgBoss, commitRate: commits });
        const line = (name: string, m: Measured) =>
          `    ${name.padEnd(9)} ${m.rate.toFixed(1).padStart(7)} jobs/s, ${Number.isNaN(m.tx) ? '' : `${m.tx.toFixed(1)} tx/job, `}${describeCost(m.cost)}`;
        console.log(`  flow c=${c} run ${r + 1}/${repeat}: commit rate ${commits.toFixed(0)}/s`);
        console.log(line('dalston', dalston));
        console.log(line('graphile', graphile));
        console.log(line('bullmq', bull));
        console.log(line('pg-boss', pgBoss));
      }
      const pick = (k: Contender) => runs.reduce<Measured | undefined>((a, r) => best(a, r[k]), undefined)!;
      byConcurrency.set(c, {
        dalston: pick('dalston'),
        graphile: pick('graphile'),
        bull: pick('bull'),
        pgBoss: pick('pgBoss'),
        commitRate: Math.max(...runs.map((r) => r.commitRate)),
        runs,
      });
    }
    const latency = await measureLatency(e);
    return { byConcurrency, latency };
  } finally {
    await db.drop();
    await redis?.stop();
  }
}

export async function flowSuite(o: BenchOptions): Promise<void> {
  flowRows(o, await flowFigures(o));
}

/** The memory-set flow (suite 5), same workload. */
export async function memoryFlow(o: BenchOptions, concurrency: number): Promise<number> {
  return (await dalstonFlow(memoryAdapters(), o.counts.flowJobs, concurrency)).rate;
}
