/**
 * Suite 2, whole flow: Dalston on PostgreSQL + Redis + memory artifacts against pg-boss
 * 10.4.2 and against the PostgreSQL commit rate on the same connection count, at each
 * worker concurrency. Everything runs in a database created for this run, so the
 * transactions per job are read from `pg_stat_database` (commit + rollback deltas, after
 * the measured pools have closed and flushed their counters).
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { type DalstonAdapters, systemClock } from '@dalston/core';
import pg from 'pg';
import type { BenchOptions } from '../lib/options.js';
import { type BenchDatabase, commitRate, createBenchDatabase, settledTransactions } from '../lib/postgres.js';
import { deleteKeys, redisClient } from '../lib/redis.js';
import { add } from '../lib/report.js';
import { shared } from '../lib/shared.js';
import { runTag } from '../lib/stats.js';
import { dalstonFlow, pgBossFlow } from './flow-workloads.js';

const PGBOSS = 'pg-boss 10.4.2';

export interface FlowFigures {
  /** concurrency -> figures */
  byConcurrency: Map<
    number,
    { dalston: number; pgBoss: number; commitRate: number; dalstonTx: number; pgBossTx: number }
  >;
}

export function flowFigures(o: BenchOptions): Promise<FlowFigures> {
  return shared('flow', () => measureFlow(o));
}

/** One Dalston run on PostgreSQL + Redis + memory artifacts; returns jobs/s and transactions per job. */
async function dalstonOnPostgres(o: BenchOptions, db: BenchDatabase, concurrency: number) {
  const tag = runTag();
  const schema = `dalston_${tag}`;
  const pool = new pg.Pool({ connectionString: db.url, max: concurrency });
  const pgSet = postgresAdapters({ pool, schema });
  await pgSet.migrate();
  const client = redisClient(o.redisUrl);
  const redisSet = redisAdapters({ client, prefix: `dalston-bench-${tag}` });
  const memory = memoryAdapters();
  const adapters: DalstonAdapters = {
    jobStore: pgSet.jobStore,
    tenantStore: pgSet.tenantStore,
    apiKeyStore: pgSet.apiKeyStore,
    sessionArchive: pgSet.sessionArchive,
    workQueue: redisSet.workQueue,
    sessionStore: redisSet.sessionStore,
    rateLimitStore: redisSet.rateLimitStore,
    eventBus: redisSet.eventBus,
    artifactStore: memory.artifactStore,
    clock: systemClock,
  };
  await pool.end(); // a fresh pool for the measured part: migrations are not counted
  const measured = new pg.Pool({ connectionString: db.url, max: concurrency });
  const measuredSet = postgresAdapters({ pool: measured, schema });
  Object.assign(adapters, {
    jobStore: measuredSet.jobStore,
    tenantStore: measuredSet.tenantStore,
    apiKeyStore: measuredSet.apiKeyStore,
    sessionArchive: measuredSet.sessionArchive,
  });
  const before = await db.transactions();
  try {
    const rate = await dalstonFlow(adapters, o.counts.flowJobs, concurrency);
    await measured.end();
    const tx = (await settledTransactions(db, before)) / o.counts.flowJobs;
    return { rate, tx };
  } finally {
    await measured.end().catch(() => {});
    await redisSet.close();
    await deleteKeys(client, `*dalston-bench-${tag}*`);
    await client.quit();
  }
}

async function pgBossOnPostgres(o: BenchOptions, db: BenchDatabase, concurrency: number) {
  const schema = `pgboss_${runTag()}`;
  const before = await db.transactions();
  const { rate, polls } = await pgBossFlow(db.url, schema, o.counts.flowJobs, concurrency);
  const tx = ((await settledTransactions(db, before)) - polls) / o.counts.flowJobs;
  return { rate, tx };
}

async function measureFlow(o: BenchOptions): Promise<FlowFigures> {
  const db = await createBenchDatabase(o.databaseUrl);
  const byConcurrency: FlowFigures['byConcurrency'] = new Map();
  try {
    for (const c of o.counts.flowConcurrency) {
      let best = { dalston: 0, pgBoss: 0, commitRate: 0, dalstonTx: Number.NaN, pgBossTx: Number.NaN };
      const repeat = o.quick ? o.repeat : 1; // 2,000 jobs each: one round keeps the full run bounded
      for (let r = 0; r < repeat; r++) {
        const d = await dalstonOnPostgres(o, db, c);
        const b = await pgBossOnPostgres(o, db, c);
        const commits = await commitRate(db.url, c, o.counts.commitLoopMs);
        best = {
          dalston: Math.max(best.dalston, d.rate),
          pgBoss: Math.max(best.pgBoss, b.rate),
          commitRate: Math.max(best.commitRate, commits),
          dalstonTx: d.tx,
          pgBossTx: b.tx,
        };
        console.log(
          `  flow c=${c}: dalston ${d.rate.toFixed(1)} jobs/s (${d.tx.toFixed(1)} tx/job), ` +
            `pg-boss ${b.rate.toFixed(1)} jobs/s (${b.tx.toFixed(1)} tx/job), commit rate ${commits.toFixed(0)}/s`,
        );
      }
      byConcurrency.set(c, best);
    }
    return { byConcurrency };
  } finally {
    await db.drop();
  }
}

export async function flowSuite(o: BenchOptions): Promise<void> {
  const f = await flowFigures(o);
  const jobs = o.counts.flowJobs;
  for (const [c, x] of f.byConcurrency) {
    add({
      suite: '2 flow',
      measurement: `${jobs} jobs a->(b,c) submit->completed, concurrency ${c}`,
      baseline: PGBOSS,
      dalston: x.dalston,
      base: x.pgBoss,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: 1,
      note: `tx/job: Dalston ${x.dalstonTx.toFixed(1)}, pg-boss ${x.pgBossTx.toFixed(1)}`,
    });
    const limit = x.commitRate / x.dalstonTx;
    add({
      suite: '2 flow',
      measurement: `same, vs commit-rate limit (${Math.round(x.commitRate)} commits/s / ${x.dalstonTx.toFixed(1)} tx/job)`,
      baseline: `PostgreSQL ${c} connections`,
      dalston: x.dalston,
      base: limit,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: 0.5,
    });
  }
}

/** The memory-set flow (suite 5), same workload. */
export async function memoryFlow(o: BenchOptions, concurrency: number): Promise<number> {
  return dalstonFlow(memoryAdapters(), o.counts.flowJobs, concurrency);
}
