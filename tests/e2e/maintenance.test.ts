/**
 * Maintenance and health on real servers, checked by reading the stores directly:
 * - reconcile re-enqueues ready tasks Redis lost (idempotently), resyncs a tenant's job
 *   slots with its non-terminal jobs (a holder in flight is kept), and closes session
 *   records whose live state expired;
 * - retention: purge deletes every object of a job past retention and sets purgedAt
 *   (the row stays); delete removes objects and rows; the orphan sweep removes objects
 *   without a row only after the grace period;
 * - health: ready with every store up, not ready while Redis, S3 or PostgreSQL is down,
 *   ready again after a restart (no engine restart).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { s3Adapters } from '@dalston/adapter-s3';
import { createDalston } from '@dalston/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EngineTarget, newTarget } from '../../test-support/engine.js';
import { pollUntil } from '../../test-support/poll.js';
import { testDatabase } from '../../test-support/postgres.js';
import { freePort, startRedisServer, testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { diamondPipeline, QUEUE_A } from '../../test-support/worker-process.js';
import { E2E_CONFIG, type Host, hostEngine } from './support/host.js';

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

async function host(label: string, target: EngineTarget = newTarget({ ...servers, label })): Promise<Host> {
  const h = await hostEngine(target);
  hosts.push(h);
  return h;
}

const stageWorker = (h: Host) =>
  h.dalston.createWorker({
    queues: ['e2e-a', 'e2e-b'],
    concurrency: 2,
    waitMs: 100,
    handler: async (ctx) => ({ uri: (await ctx.artifacts.put('out.json', ctx.task.stage)).uri }),
  });

const until = (check: () => Promise<boolean>, timeoutMs = 20_000) =>
  pollUntil(check, { timeoutMs, everyMs: 50 });

describe('reconcile on real servers', () => {
  it('re-enqueues ready tasks whose messages Redis lost, idempotently; the jobs then finish', {
    timeout: 60_000,
  }, async () => {
    const h = await host('requeue');
    const ids = await h.submit(3);
    const raw = h.adapters.workQueue;
    for (const { id } of (await h.inspect.tasks()).filter((t) => t.status === 'ready')) {
      expect(await raw.remove(QUEUE_A, `${id}:1`)).toBe(true);
    }
    expect((await raw.stats(QUEUE_A)).ready).toBe(0);
    expect((await h.dalston.maintenance.reconcile())._unsafeUnwrap().requeued).toBe(3);
    expect((await raw.stats(QUEUE_A)).ready).toBe(3);
    expect((await h.dalston.maintenance.reconcile())._unsafeUnwrap().requeued).toBe(0);
    stageWorker(h);
    await until(async () => (await h.inspect.jobs()).every((j) => j.status === 'completed'));
    expect((await h.inspect.jobs()).map((j) => j.id).sort()).toEqual(ids.sort());
  });

  it("resyncs a tenant's job slots with its non-terminal jobs (in-flight kept, stray dropped, wiped restored)", {
    timeout: 60_000,
  }, async () => {
    const h = await host('slots');
    const key = `tenant:${h.tenantId}:jobs`;
    const store = h.adapters.rateLimitStore;
    // A holder an earlier pass restored whose job is gone: never confirmed, so droppable now.
    await store.reconcileSlots(key, ['job-that-never-existed'], { ttlMs: 60_000, graceMs: 60_000 });
    const ids = await h.submit(2);
    // A submit that holds its slot but has not committed its row yet: kept (within the grace).
    await store.acquireSlot(key, 'job-still-uploading', 100, 60_000);
    expect(await h.inspect.slotHolders(h.tenantId)).toHaveLength(4);
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect((await h.inspect.slotHolders(h.tenantId)).sort()).toEqual([...ids, 'job-still-uploading'].sort());
    for (const holder of [...ids, 'job-still-uploading']) await store.releaseSlot(key, holder); // a wipe
    (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect((await h.inspect.slotHolders(h.tenantId)).sort()).toEqual([...ids].sort());
  });

  it('closes as interrupted a session record whose live state expired', { timeout: 30_000 }, async () => {
    const h = await host('sessions');
    const live = (await h.dalston.sessions.start({ tenantId: h.tenantId, ttlMs: 300 }))._unsafeUnwrap();
    await until(async () => (await h.adapters.sessionStore.get(h.tenantId, live.id)) === null);
    await sleep(1100); // past the sweeper's start grace
    expect((await h.dalston.maintenance.sweepSessions())._unsafeUnwrap()).toBe(1);
    const [row] = await h.inspect.sql<{ status: string }>(
      `SELECT status FROM ${h.inspect.t('session_records')} WHERE id = $1`,
      [live.id],
    );
    expect(row?.status).toBe('interrupted');
  });
});

describe('retention and orphans on real servers', () => {
  it('purge deletes every object of a job past retention, then sets purgedAt; the row stays', {
    timeout: 60_000,
  }, async () => {
    const h = await host('purge');
    const job = (
      await h.dalston.jobs.submit({
        tenantId: h.tenantId,
        retentionDays: 0,
        input: { name: 'in.wav', body: 'x' },
      })
    )._unsafeUnwrap();
    stageWorker(h);
    await until(async () => (await h.inspect.jobs())[0]?.status === 'completed');
    expect(await h.inspect.objectKeys()).toHaveLength(5);
    expect((await h.dalston.maintenance.purgeExpired())._unsafeUnwrap()).toBe(1);
    expect(await h.inspect.objectKeys()).toEqual([]);
    const [row] = await h.inspect.sql<{ purged_at: Date | null }>(
      `SELECT purged_at FROM ${h.inspect.t('jobs')} WHERE id = $1`,
      [job.id],
    );
    expect(row?.purged_at).toBeInstanceOf(Date);
    expect((await h.dalston.maintenance.purgeExpired())._unsafeUnwrap()).toBe(0);
  });

  it('delete removes a terminal job’s objects and rows', { timeout: 60_000 }, async () => {
    const h = await host('delete');
    const job = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.wav', body: 'x' } })
    )._unsafeUnwrap();
    stageWorker(h);
    await until(async () => (await h.inspect.jobs())[0]?.status === 'completed');
    (await h.dalston.jobs.delete(h.tenantId, job.id))._unsafeUnwrap();
    expect(await h.inspect.objectKeys()).toEqual([]);
    for (const table of ['jobs', 'tasks', 'events']) {
      expect(
        await h.inspect.sql(
          `SELECT 1 FROM ${h.inspect.t(table)} WHERE ${table === 'jobs' ? 'id' : 'job_id'} = $1`,
          [job.id],
        ),
      ).toEqual([]);
    }
  });

  it('the orphan sweep removes objects without a row only after the grace period, and keeps the rest', {
    timeout: 30_000,
  }, async () => {
    const h = await host('orphans');
    const job = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.wav', body: 'x' } })
    )._unsafeUnwrap();
    const orphan = `tenants/${h.tenantId}/jobs/job-gone/input/in.wav`;
    await h.adapters.artifactStore.put(orphan, 'left by a crashed submit');
    expect((await h.dalston.maintenance.sweepOrphans())._unsafeUnwrap().deleted).toBe(0);
    expect((await h.dalston.maintenance.sweepOrphans({ graceMs: 0 }))._unsafeUnwrap()).toEqual({
      deleted: 1,
      abortedUploads: 0,
      uploadsError: null,
      complete: true,
    });
    expect(await h.inspect.objectKeys()).toEqual([`tenants/${h.tenantId}/jobs/${job.id}/input/in.wav`]);
  });

  it('on a store without ListMultipartUploads (s3rver: 501) the sweep still deletes the orphans and reports the upload step apart', {
    timeout: 30_000,
  }, async () => {
    const target = newTarget({ ...servers, label: 'orphans_501' });
    const h = await host('orphans_501', target);
    // The same bucket and object prefix as the host, declaring the capability s3rver lacks.
    const s3 = s3Adapters({
      endpoint: servers.s3Endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
      checksums: 'when-required',
      bucket: servers.s3Bucket,
      prefix: target.s3Prefix,
      capabilities: { abortStaleUploads: true },
    });
    try {
      const dalston = createDalston({
        adapters: { ...h.adapters, artifactStore: s3.artifactStore },
        pipeline: diamondPipeline,
        config: E2E_CONFIG,
      });
      const orphan = `tenants/${h.tenantId}/jobs/job-gone/input/in.wav`;
      await s3.artifactStore.put(orphan, 'left by a crashed submit');
      const counts = (await dalston.maintenance.sweepOrphans({ graceMs: 0 }))._unsafeUnwrap();
      expect(counts).toMatchObject({ deleted: 1, abortedUploads: 0, complete: true });
      expect(counts.uploadsError).toMatchObject({
        code: 'STORE_UNAVAILABLE',
        operation: 'abortStaleUploads',
      });
      expect(await s3.artifactStore.head(orphan)).toBeNull();
    } finally {
      await s3.close();
    }
  });
});

describe('health on real servers', () => {
  it('ready with every store up; not ready while Redis or S3 is down; ready again after restart', {
    timeout: 90_000,
  }, async () => {
    const [redis, ownS3] = await Promise.all([startRedisServer(), startS3Server({ own: true })]);
    try {
      const h = await host(
        'health',
        newTarget({
          ...servers,
          label: 'health',
          redisUrl: redis.url,
          s3Endpoint: ownS3.endpoint,
          s3Bucket: ownS3.bucket,
        }),
      );
      const check = async () => (await h.dalston.health.check())._unsafeUnwrap();
      const up = await check();
      expect(up.ready).toBe(true);
      for (const store of Object.values(up.stores)) expect(store.latencyMs).toBeGreaterThanOrEqual(0);
      await redis.kill();
      const noRedis = await check();
      expect(noRedis.ready).toBe(false);
      for (const port of ['workQueue', 'sessionStore', 'rateLimitStore', 'eventBus'] as const) {
        expect(noRedis.stores[port]).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      }
      expect(noRedis.stores.jobStore.ok && noRedis.stores.artifactStore.ok).toBe(true);
      await redis.restart();
      await until(async () => (await check()).ready);
      await ownS3.kill();
      const noS3 = await check();
      expect(noS3.ready).toBe(false);
      expect(noS3.stores.artifactStore).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      await ownS3.restart();
      await until(async () => (await check()).ready);
    } finally {
      for (const h of hosts.splice(0)) await h.close();
      await Promise.all([redis.stop(), ownS3.stop()]);
    }
  });

  it('not ready while PostgreSQL does not answer', { timeout: 30_000 }, async () => {
    const h = await host('health_pg');
    const down = postgresAdapters({
      connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/test`,
      connectionTimeoutMillis: 500,
    });
    const { migrate: _m, close, ...stores } = down;
    const dalston = createDalston({
      adapters: { ...h.adapters, ...stores },
      pipeline: diamondPipeline,
      config: E2E_CONFIG,
    });
    try {
      const report = (await dalston.health.check())._unsafeUnwrap();
      expect(report.ready).toBe(false);
      for (const port of ['jobStore', 'tenantStore', 'apiKeyStore', 'sessionArchive'] as const) {
        expect(report.stores[port]).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      }
      expect(report.stores.workQueue.ok && report.stores.artifactStore.ok).toBe(true);
    } finally {
      await close();
    }
  });
});
