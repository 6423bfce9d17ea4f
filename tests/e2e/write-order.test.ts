/**
 * Write order and the outbox on real servers. A submitting process is killed (SIGKILL) at
 * a chosen step of `jobs.submit` (a hook in the test harness around the adapters, see
 * test-support/worker-entry.ts), and we check what is left by reading the stores directly:
 * - killed between the input blob write and the row commit: nothing visible, and the blob
 *   is removed by `maintenance.sweepOrphans` (the slot it took by `reconcile`, once older
 *   than the slot resync's grace);
 * - killed after the commit, before enqueue and publish: the job finishes after
 *   `maintenance.reconcile()`, and every committed event reaches a subscriber through the
 *   outbox relay, in order;
 * - killed after enqueue, before publish: the job finishes by itself and the relay
 *   publishes what was missed.
 */
import type { DalstonEvent } from '@dalston/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newTarget } from '../../test-support/engine.js';
import { pollUntil } from '../../test-support/poll.js';
import { testDatabase } from '../../test-support/postgres.js';
import { testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { spawnEntry } from '../../test-support/worker-process.js';
import { type Host, hostEngine } from './support/host.js';

let s3: S3Server;
let servers: { databaseUrl: string; redisUrl: string; s3Endpoint: string; s3Bucket: string };
let host: Host | null = null;
beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  servers = { databaseUrl: db.url, redisUrl, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket };
});
afterEach(async () => {
  await host?.close();
  host = null;
});
afterAll(async () => {
  await s3?.stop();
});

const INPUT = { name: 'audio.wav', body: 'RIFF....WAVE' };

/** A host engine on a fresh target, and a child that submits one job and dies at `crashAt`. */
async function crashSubmit(label: string, crashAt: string) {
  const target = newTarget({ ...servers, label });
  host = await hostEngine(target);
  const submit = { tenantId: host.tenantId, parameters: { n: 1 }, input: INPUT };
  const child = spawnEntry(
    target,
    { env: { DALSTON_E2E_CRASH_AT: crashAt, DALSTON_E2E_SUBMIT: JSON.stringify(submit) } },
    'submit',
  );
  const exit = await child.exited;
  expect(exit.signal, child.output()).toBe('SIGKILL');
  return host;
}

const count = async (h: Host, table: string) =>
  Number((await h.inspect.sql<{ n: string }>(`SELECT count(*) AS n FROM ${h.inspect.t(table)}`))[0]!.n);

const until = (check: () => Promise<boolean>, timeoutMs = 20_000) =>
  pollUntil(check, { timeoutMs, everyMs: 50 });

describe('write order and outbox (postgres+redis+s3)', () => {
  it('killed between blob write and row commit: nothing visible; the orphan sweep removes the blob', {
    timeout: 60_000,
  }, async () => {
    const h = await crashSubmit('crash_blob', 'createJob:before');
    expect(await count(h, 'jobs')).toBe(0);
    expect(await count(h, 'tasks')).toBe(0);
    expect(await count(h, 'events')).toBe(0);
    const keys = await h.inspect.objectKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^tenants/${h.tenantId}/jobs/[^/]+/input/audio\\.wav$`));
    expect((await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap().jobs).toEqual([]);
    // The dead submitter held a concurrency slot. The reconciler cannot tell it from a submit
    // still uploading until the slot is older than the grace (2 s here); then it gives it back.
    expect(await h.inspect.slotHolders(h.tenantId)).toHaveLength(1);
    await until(async () => {
      (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
      return (await h.inspect.slotHolders(h.tenantId)).length === 0;
    });
    // Within the grace period the blob stays (its submit could still be running) ...
    expect((await h.dalston.maintenance.sweepOrphans())._unsafeUnwrap().deleted).toBe(0);
    // ... after it, the orphan goes.
    expect((await h.dalston.maintenance.sweepOrphans({ graceMs: 0 }))._unsafeUnwrap().deleted).toBe(1);
    expect(await h.inspect.objectKeys()).toEqual([]);
  });

  it('a JobStore that fails the create: submit fails, the blob and slot are given back at once', {
    timeout: 30_000,
  }, async () => {
    const target = newTarget({ ...servers, label: 'create_fails' });
    host = await hostEngine(target);
    const jobStore = host.adapters.jobStore;
    const real = jobStore.createJob;
    jobStore.createJob = async () => {
      throw new Error('connection lost before commit');
    };
    const r = await host.dalston.jobs.submit({ tenantId: host.tenantId, input: INPUT });
    jobStore.createJob = real;
    expect(r.isErr()).toBe(true);
    expect(await count(host, 'jobs')).toBe(0);
    expect(await host.inspect.objectKeys()).toEqual([]);
    expect(await host.inspect.slotHolders(host.tenantId)).toEqual([]);
  });

  it('killed after commit, before enqueue and publish: the job finishes after reconcile; every event reaches a subscriber', {
    timeout: 60_000,
  }, async () => {
    const target = newTarget({ ...servers, label: 'crash_commit' });
    host = await hostEngine(target);
    const h = host;
    const seen: DalstonEvent[] = [];
    const sub = await h.adapters.eventBus.subscribe({ tenantId: h.tenantId }, (e) => seen.push(e));
    await crashSubmitOn(h, target, 'createJob:after');
    const [job] = await h.inspect.jobs();
    expect(job).toMatchObject({ status: 'pending' });
    const unpublished = await h.inspect.sql(
      `SELECT event_id AS id FROM ${h.inspect.t('outbox')}`, // unpublished = still in the outbox
    );
    expect(unpublished.length).toBeGreaterThan(0);
    h.dalston.createWorker({
      queues: ['e2e-a', 'e2e-b'],
      concurrency: 2,
      waitMs: 100,
      handler: (c) => ({ stage: c.task.stage }),
    });
    // Nothing was enqueued: the job waits for the reconciler.
    expect((await h.dalston.maintenance.reconcile())._unsafeUnwrap().requeued).toBe(1);
    await until(async () => (await h.inspect.jobs())[0]?.status === 'completed');
    await expectAllEventsDelivered(h, job!.id, seen);
    await sub.unsubscribe();
  });

  it('killed after enqueue, before publish: the job finishes by itself; the relay publishes the missed events', {
    timeout: 60_000,
  }, async () => {
    const target = newTarget({ ...servers, label: 'crash_publish' });
    host = await hostEngine(target);
    const h = host;
    const seen: DalstonEvent[] = [];
    await h.adapters.eventBus.subscribe({ tenantId: h.tenantId }, (e) => seen.push(e));
    await crashSubmitOn(h, target, 'publish:before');
    const [job] = await h.inspect.jobs();
    h.dalston.createWorker({
      queues: ['e2e-a', 'e2e-b'],
      concurrency: 2,
      waitMs: 100,
      handler: (c) => ({ stage: c.task.stage }),
    });
    await until(async () => (await h.inspect.jobs())[0]?.status === 'completed');
    await expectAllEventsDelivered(h, job!.id, seen);
  });
});

async function crashSubmitOn(h: Host, target: ReturnType<typeof newTarget>, crashAt: string) {
  const submit = { tenantId: h.tenantId, parameters: { n: 1 }, input: INPUT };
  const child = spawnEntry(
    target,
    { env: { DALSTON_E2E_CRASH_AT: crashAt, DALSTON_E2E_SUBMIT: JSON.stringify(submit) } },
    'submit',
  );
  expect((await child.exited).signal, child.output()).toBe('SIGKILL');
}

/** Runs the relay until the log has nothing unpublished; the subscriber saw every event of the job, in log order. */
async function expectAllEventsDelivered(h: Host, jobId: string, seen: DalstonEvent[]) {
  await until(async () => {
    (await h.dalston.maintenance.relayEvents())._unsafeUnwrap();
    const rows = await h.inspect.sql(`SELECT event_id FROM ${h.inspect.t('outbox')}`);
    return rows.length === 0;
  });
  const logged = (
    await h.inspect.sql<{ id: string }>(
      `SELECT id FROM ${h.inspect.t('events')} WHERE job_id = $1 ORDER BY id`,
      [jobId],
    )
  ).map((r) => Number(r.id));
  await until(async () => logged.every((id) => seen.some((e) => e.id === id)));
  const firstSeen = [...new Set(seen.filter((e) => e.jobId === jobId).map((e) => e.id))];
  expect(firstSeen.sort((a, b) => a - b)).toEqual(logged);
  expect(seen.some((e) => e.type === 'job.created')).toBe(true);
  expect(seen.some((e) => e.type === 'job.completed')).toBe(true);
}
