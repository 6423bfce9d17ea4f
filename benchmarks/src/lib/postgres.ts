/**
 * PostgreSQL helpers: a database of its own for one run (so `pg_stat_database` counts only
 * this run's transactions), the transaction counter read from it, and dropping it.
 */
import pg from 'pg';
import { runTag } from './stats.js';

export interface BenchDatabase {
  name: string;
  url: string;
  /** Committed plus rolled-back transactions so far. Close the pools you measure first: a backend flushes its counters when it exits. */
  transactions(): Promise<number>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `dalston_bench_${runTag()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async transactions() {
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const r = await admin.query<{ n: string }>(
        'SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1',
        [name],
      );
      return Number(r.rows[0]?.n ?? Number.NaN);
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e) => {
        console.error(`could not drop database ${name}:`, e);
      });
      await admin.end();
    },
  };
}

/** Stats of exiting backends reach pg_stat_database shortly after they disconnect. */
export async function settledTransactions(db: BenchDatabase, before: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const n = await db.transactions();
    if (n === last) return n - before;
    last = n;
    await new Promise((r) => setTimeout(r, 150));
  }
  return last - before;
}

/** Commits per second of a one-row INSERT loop (autocommit) on `connections` connections for `ms`. */
export async function commitRate(url: string, connections: number, ms: number): Promise<number> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, v int NOT NULL)');
  await setup.end();
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString: url });
      c.on('error', (err) => console.warn(`  commit rate: PostgreSQL connection lost: ${err.message}`));
      await c.connect();
      return c;
    }),
  );
  let commits = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    clients.map(async (c, i) => {
      while (performance.now() < end) {
        await c.query('INSERT INTO bench_commit (v) VALUES ($1)', [i]);
        commits++;
      }
    }),
  );
  const rate = (commits * 1000) / (performance.now() - t0);
  await Promise.all(clients.map((c) => c.end()));
  return rate;
}
