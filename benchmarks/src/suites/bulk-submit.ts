/**
 * Suite 8, bulk submit: `jobs.submitMany` of N jobs (one call) against N single
 * `jobs.submit` calls in flight together (the engine's group commit already shares their
 * PostgreSQL statements) and N single submits one after the other (a host's `for … await`
 * loop), measured in the same run on PostgreSQL + Redis (a database and a private
 * redis-server of the run's own) with the DAG a → (b, c). Reported: jobs submitted per
 * second, and per job the PostgreSQL statements and Redis commands sent and the CPU of
 * every process (lib/cost.ts). N = 1000 (the batch limit), 200 with --quick. No workers
 * run: this measures the submit path alone.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { createDalston, type Dalston, type DalstonAdapters, systemClock } from '@dalston/core';
import pg from 'pg';
import { startRedisServer } from '../../../test-support/redis.js';
import { describeCost, type PerJob, perJob, startCost } from '../lib/cost.js';
import type { BenchOptions } from '../lib/options.js';
import { type BenchDatabase, createBenchDatabase } from '../lib/postgres.js';
import { deleteKeys, redisClient } from '../lib/redis.js';
import { add } from '../lib/report.js';
import { now, runTag } from '../lib/stats.js';

const QUEUE = 'bench-bulk';
const pipeline = {
  build: () => [
    { stage: 'a', queue: QUEUE },
    { stage: 'b', queue: QUEUE, dependsOn: ['a'] },
    { stage: 'c', queue: QUEUE, dependsOn: ['a'] },
  ],
};

type Mode = 'submitMany' | 'concurrent' | 'sequential';
interface Figures {
  rate: number;
  cost: PerJob;
}

/** An engine on a fresh schema of the run's database and a key prefix of the private Redis. */
async function engineOn(db: BenchDatabase, redisUrl: string) {
  const tag = runTag();
  const schema = `dalston_${tag}`;
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on('error', (err) => console.warn(`  bulk: idle PostgreSQL client lost: ${err.message}`));
  const pgSet = postgresAdapters({ pool, schema });
  await pgSet.migrate();
  const client = redisClient(redisUrl);
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
  const dalston = createDalston({ adapters, pipeline, config: { queues: [QUEUE] } });
  const tenant = (
    await dalston.tenants.create({ name: 'bulk', limits: { concurrentJobs: 1_000_000 } })
  )._unsafeUnwrap();
  return {
    dalston,
    tenantId: tenant.id,
    async close() {
      await dalston.close({ deadlineMs: 1000 });
      await pool.end().catch(() => {});
      await deleteKeys(client, `*dalston-bench-${tag}*`);
      await client.quit();
    },
  };
}

async function submitAll(dalston: Dalston, tenantId: string, n: number, mode: Mode): Promise<void> {
  const inputs = Array.from({ length: n }, (_, i) => ({ tenantId, parameters: { i } }));
  if (mode === 'submitMany') {
    (await dalston.jobs.submitMany(inputs))._unsafeUnwrap();
  } else if (mode === 'concurrent') {
    const results = await Promise.all(inputs.map((i) => dalston.jobs.submit(i)));
    for (const r of results) r._unsafeUnwrap();
  } else {
    for (const i of inputs) (await dalston.jobs.submit(i))._unsafeUnwrap();
  }
}

async function measure(o: BenchOptions, db: BenchDatabase, redisUrl: string, n: number, mode: Mode) {
  const engine = await engineOn(db, redisUrl);
  const redis = redisClient(redisUrl);
  try {
    // One warm-up job: prepared statements, tenant cache and connections are not measured.
    await submitAll(engine.dalston, engine.tenantId, 1, mode);
    const meter = await startCost({ adminUrl: o.databaseUrl, database: db.name, redis });
    const t0 = now();
    await submitAll(engine.dalston, engine.tenantId, n, mode);
    const ms = now() - t0;
    const cost = await meter.stop();
    return { rate: (n * 1000) / ms, cost: perJob(cost, n) };
  } finally {
    await engine.close();
    await redis.quit();
  }
}

function report(n: number, figures: Record<Mode, Figures>): void {
  const suite = '8 bulk submit';
  const many = figures.submitMany;
  for (const [baseline, base] of [
    [`${n} concurrent submits`, figures.concurrent],
    [`${n} sequential submits`, figures.sequential],
  ] as const) {
    add({
      suite,
      measurement: `submitMany of ${n} jobs (a → b, c): jobs/s`,
      baseline,
      dalston: many.rate,
      base: base.rate,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: null,
    });
  }
  add({
    suite,
    measurement: `submitMany of ${n} jobs: PostgreSQL statements per job`,
    baseline: `${n} concurrent submits`,
    dalston: many.cost.pgStatements,
    base: figures.concurrent.cost.pgStatements,
    unit: 'stmts/job',
    higherIsBetter: false,
    target: null,
  });
  add({
    suite,
    measurement: `submitMany of ${n} jobs: CPU per job (all processes)`,
    baseline: `${n} concurrent submits`,
    dalston: many.cost.cpuMs,
    base: figures.concurrent.cost.cpuMs,
    unit: 'ms/job',
    higherIsBetter: false,
    target: null,
  });
}

export async function bulkSubmitSuite(o: BenchOptions): Promise<void> {
  const n = o.quick ? 200 : 1000;
  const db = await createBenchDatabase(o.databaseUrl);
  const redis = await startRedisServer().catch((err) => {
    console.warn(
      `  no private redis-server (${err}); using ${o.redisUrl}: Redis figures include other clients`,
    );
    return null;
  });
  const redisUrl = redis?.url ?? o.redisUrl;
  const best: Partial<Record<Mode, Figures>> = {};
  try {
    for (let r = 0; r < o.repeat; r++) {
      for (const mode of ['submitMany', 'concurrent', 'sequential'] as const) {
        const f = await measure(o, db, redisUrl, n, mode);
        console.log(
          `    ${mode.padEnd(10)} ${f.rate.toFixed(0).padStart(6)} jobs/s, ${describeCost(f.cost)}`,
        );
        if (!best[mode] || f.rate > best[mode].rate) best[mode] = f;
      }
    }
    report(n, best as Record<Mode, Figures>);
  } finally {
    await db.drop();
    await redis?.stop();
  }
}
