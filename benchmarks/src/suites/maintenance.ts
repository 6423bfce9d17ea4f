/**
 * Suite 6, maintenance: one reconcile pass over a ready backlog (100,000 tasks; 10,000 with
 * --quick) on PostgreSQL + Redis, as it runs in steady state (the queue already holds every
 * message): the incremental re-enqueue (reads the ready tasks changed since the previous
 * pass) against the former behaviour, a full re-enqueue of every ready task, measured in
 * the same run by an engine whose `requeueFullSweepMs` forces a full sweep on every pass.
 * Reported: wall time of the pass and the PostgreSQL queries it sent (counted on the pool's
 * clients; a multi-statement simple query counts once).
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { createDalston, type DalstonAdapters, type DalstonConfigInput, systemClock } from '@dalston/core';
import pg from 'pg';
import type { BenchOptions } from '../lib/options.js';
import { createBenchDatabase } from '../lib/postgres.js';
import { deleteKeys, redisClient } from '../lib/redis.js';
import { add } from '../lib/report.js';
import { now, runTag } from '../lib/stats.js';

const QUEUE = 'bench-maint';
const TASKS_PER_JOB = 10;

/** A pool whose clients count the queries they send. */
function countingPool(url: string): { pool: pg.Pool; queries: () => number } {
  let queries = 0;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
      queries++;
      return query(...args);
    };
  });
  pool.on('error', () => {});
  return { pool, queries: () => queries };
}

/** `count` ready tasks (TASKS_PER_JOB per pending job) inserted with set-based SQL, then ANALYZEd. */
async function seedReadyBacklog(url: string, schema: string, count: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const jobs = Math.ceil(count / TASKS_PER_JOB);
    const s = `"${schema}"`;
    await c.query(
      `INSERT INTO ${s}.jobs (id, tenant_id, status, parameters, retention_days, correlation_id, created_at, version)
       SELECT 'job-' || lpad(g::text, 8, '0'), 'bench', 'pending', '{}', -1, 'c' || g, now(), 1
       FROM generate_series(1, $1) g`,
      [jobs],
    );
    await c.query(
      `INSERT INTO ${s}.tasks (id, job_id, tenant_id, position, stage, queue, required, status, attempt, failures,
         lost_leases, max_attempts, timeout_ms, backoff, priority, created_at, version)
       SELECT 'task-' || lpad(g::text, 9, '0'), 'job-' || lpad((1 + (g - 1) / ${TASKS_PER_JOB})::text, 8, '0'),
         'bench', (g - 1) % ${TASKS_PER_JOB}, 's' || ((g - 1) % ${TASKS_PER_JOB}), $2, true, 'ready', 1, 0, 0, 3,
         300000, '{"kind":"exponential","baseMs":1000,"maxMs":60000,"jitter":0}', 0, now(), 1
       FROM generate_series(1, $1) g`,
      [count, QUEUE],
    );
    await c.query(`ANALYZE ${s}.jobs; ANALYZE ${s}.tasks`);
  } finally {
    await c.end();
  }
}

interface PassFigures {
  ms: number;
  queries: number;
  requeued: number;
}

/** An engine on its own counted pool; `pass()` runs one reconcile and measures it. */
function engineOn(url: string, schema: string, redisUrl: string, prefix: string, config: DalstonConfigInput) {
  const counted = countingPool(url);
  const pgSet = postgresAdapters({ pool: counted.pool, schema });
  const redisSet = redisAdapters({ url: redisUrl, prefix });
  const memory = memoryAdapters();
  const adapters: DalstonAdapters = {
    ...memory,
    jobStore: pgSet.jobStore,
    tenantStore: pgSet.tenantStore,
    apiKeyStore: pgSet.apiKeyStore,
    sessionArchive: pgSet.sessionArchive,
    workQueue: redisSet.workQueue,
    clock: systemClock,
  };
  const dalston = createDalston({
    adapters,
    pipeline: { build: () => [] },
    config: { queues: [QUEUE], maintenancePassBudgetMs: 600_000, ...config },
  });
  return {
    async pass(): Promise<PassFigures> {
      const q0 = counted.queries();
      const t0 = now();
      const counts = (await dalston.maintenance.reconcile())._unsafeUnwrap();
      return { ms: now() - t0, queries: counted.queries() - q0, requeued: counts.requeued };
    },
    async close() {
      await dalston.close({ deadlineMs: 1000 });
      await counted.pool.end().catch(() => {});
    },
  };
}

export async function maintenanceSuite(o: BenchOptions): Promise<void> {
  const count = o.counts.maintenanceReadyTasks;
  const db = await createBenchDatabase(o.databaseUrl);
  const tag = runTag();
  const schema = `dalston_${tag}`;
  const prefix = `dalston-bench-maint-${tag}`;
  const redis = redisClient(o.redisUrl);
  const setup = postgresAdapters({ connectionString: db.url, schema });
  const incremental = engineOn(db.url, schema, o.redisUrl, prefix, {});
  const full = engineOn(db.url, schema, o.redisUrl, prefix, { requeueFullSweepMs: 1 });
  try {
    await setup.migrate();
    await setup.close();
    await seedReadyBacklog(db.url, schema, count);
    // First passes: each instance starts with a full sweep; the first one fills the queue.
    const first = await incremental.pass();
    console.log(`  first pass (queue empty): ${first.requeued} enqueued in ${first.ms.toFixed(0)} ms`);
    await full.pass();
    let inc: PassFigures | null = null;
    let old: PassFigures | null = null;
    for (let i = 0; i < o.repeat; i++) {
      const a = await incremental.pass();
      const b = await full.pass();
      if (!inc || a.ms < inc.ms) inc = a;
      if (!old || b.ms < old.ms) old = b;
    }
    const measurement = `one reconcile pass, ${count.toLocaleString('en-US')} ready tasks (queue in sync)`;
    const baseline = 'full re-enqueue (former pass)';
    add({
      suite: '6 maintenance',
      measurement: `${measurement}: time`,
      baseline,
      dalston: inc!.ms,
      base: old!.ms,
      unit: 'ms',
      higherIsBetter: false,
      target: null,
      note: `requeued ${inc!.requeued} vs ${old!.requeued}`,
    });
    add({
      suite: '6 maintenance',
      measurement: `${measurement}: PostgreSQL queries`,
      baseline,
      dalston: inc!.queries,
      base: old!.queries,
      unit: 'queries',
      higherIsBetter: false,
      target: null,
    });
  } finally {
    await incremental.close();
    await full.close();
    await deleteKeys(redis, `*${prefix}*`);
    await redis.quit();
    await db.drop();
  }
}
