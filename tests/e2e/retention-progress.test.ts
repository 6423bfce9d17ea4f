/**
 * Row retention and progress coalescing on real servers (PostgreSQL + Redis + S3), counted
 * with SQL on the schema:
 * - jobs finished longer than rowRetentionMs ago, purged, lose their job, task, edge and
 *   event rows, batch after batch in one pass; a recent job and a running one keep theirs;
 * - a handler calling ctx.progress() 10,000 times writes at most ceil(D / interval) + 1
 *   `task.progress` rows, the last one carrying its last value.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newTarget } from '../../test-support/engine.js';
import { pollUntil } from '../../test-support/poll.js';
import { testDatabase } from '../../test-support/postgres.js';
import { testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { QUEUE_A, QUEUE_B } from '../../test-support/worker-process.js';
import { type Host, type HostConfig, hostEngine } from './support/host.js';

let s3: S3Server;
let servers: { databaseUrl: string; redisUrl: string; s3Endpoint: string; s3Bucket: string };
const hosts: Host[] = [];
beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  servers = { databaseUrl: db.url, redisUrl, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket };
});
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});
afterAll(async () => {
  await s3?.stop();
});

async function host(label: string, config: HostConfig): Promise<Host> {
  const h = await hostEngine(newTarget({ ...servers, label }), { config });
  hosts.push(h);
  return h;
}

const until = (check: () => Promise<boolean>, timeoutMs = 30_000) =>
  pollUntil(check, { timeoutMs, everyMs: 50 });

/** Rows of these jobs in each table, counted with SQL. */
async function rowCounts(h: Host, jobIds: string[]) {
  const count = async (table: string) => {
    const [row] = await h.inspect.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${h.inspect.t(table)} WHERE job_id = ANY($1::text[])`,
      [jobIds],
    );
    return row!.n;
  };
  const [jobs] = await h.inspect.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${h.inspect.t('jobs')} WHERE id = ANY($1::text[])`,
    [jobIds],
  );
  return {
    jobs: jobs!.n,
    tasks: await count('tasks'),
    edges: await count('task_dependencies'),
    events: await count('events'),
  };
}

const statusOf = async (h: Host, id: string) => (await h.inspect.jobs()).find((j) => j.id === id)?.status;

describe('row retention on real servers', () => {
  it('deletes the rows of jobs finished long enough ago, page by page; recent and running jobs keep theirs', {
    timeout: 120_000,
  }, async () => {
    const h = await host('rows', { rowRetentionMs: 10_000, defaultRetentionDays: 0 });
    let release = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    h.dalston.createWorker({
      queues: [QUEUE_A, QUEUE_B],
      concurrency: 4,
      waitMs: 100,
      handler: async (ctx) => {
        if (ctx.job.parameters.block) await blocked;
        return { uri: (await ctx.artifacts.put('out.json', ctx.task.stage)).uri };
      },
    });
    const old = await h.submit(5);
    await until(async () => (await h.inspect.jobs()).every((j) => j.status === 'completed'));
    const before = await rowCounts(h, old);
    expect(before).toMatchObject({ jobs: 5, tasks: 20, edges: 20 });
    await sleep(10_500); // the old jobs are now past rowRetentionMs
    const [recent] = await h.submit(1);
    await until(async () => (await statusOf(h, recent!)) === 'completed');
    const [running] = await h.submit(1, () => ({ block: true }));
    await until(async () => (await statusOf(h, running!)) === 'running');
    const m = h.dalston.maintenance;
    expect((await m.purgeExpired())._unsafeUnwrap()).toBe(6);
    expect(await h.inspect.objectKeys()).toEqual([]);
    await sleep(300); // past eventRelayDelayMs: the relay publishes job.purged
    (await m.relayEvents())._unsafeUnwrap();
    const kept = await rowCounts(h, [recent!, running!]);
    const deleted = (await m.deleteExpiredRows({ batchSize: 2 }))._unsafeUnwrap();
    expect(deleted).toEqual({ jobs: 5, tasks: 20, events: before.events + 5, complete: true });
    expect(await rowCounts(h, old)).toEqual({ jobs: 0, tasks: 0, edges: 0, events: 0 });
    expect(await rowCounts(h, [recent!, running!])).toEqual(kept);
    expect(kept).toMatchObject({ jobs: 2, tasks: 8, edges: 8 });
    const [outbox] = await h.inspect.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${h.inspect.t('outbox')} o
       LEFT JOIN ${h.inspect.t('events')} e ON e.id = o.event_id WHERE e.id IS NULL`,
    );
    expect(outbox!.n).toBe(0);
    release();
    await until(async () => (await statusOf(h, running!)) === 'completed');
  });
});

describe('progress coalescing on real servers', () => {
  it('10,000 progress calls write at most ceil(D / interval) + 1 event rows, the last value last', {
    timeout: 120_000,
  }, async () => {
    const intervalMs = 100;
    const h = await host('progress', { progressIntervalMs: intervalMs });
    const span = { first: 0, last: 0 };
    h.dalston.createWorker({
      queues: [QUEUE_A, QUEUE_B],
      waitMs: 100,
      handler: async (ctx) => {
        if (ctx.task.stage !== 'prepare') return {};
        span.first = Date.now();
        for (let i = 0; i < 10_000; i++) {
          await ctx.progress({ i });
          if (i % 100 === 99) await sleep(5);
        }
        span.last = Date.now();
        return {};
      },
    });
    const [id] = await h.submit(1);
    await until(async () => (await statusOf(h, id!)) === 'completed');
    const rows = await h.inspect.sql<{ progress: { i: number } }>(
      `SELECT payload->'progress' AS progress FROM ${h.inspect.t('events')}
       WHERE job_id = $1 AND type = 'task.progress' ORDER BY id`,
      [id],
    );
    const duration = span.last - span.first;
    expect(duration).toBeGreaterThan(intervalMs);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThanOrEqual(Math.ceil(duration / intervalMs) + 1);
    expect(rows[0]!.progress).toEqual({ i: 0 });
    expect(rows.at(-1)!.progress).toEqual({ i: 9999 });
    console.log(`progress: ${rows.length} event rows for 10,000 calls over ${duration} ms`);
  });
});
