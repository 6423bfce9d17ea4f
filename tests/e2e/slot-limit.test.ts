/**
 * The concurrent-job limit holds at every instant on real servers (PostgreSQL, Redis,
 * s3rver) while maintenance resyncs slots every 200 ms: 4 child processes
 * (support/slot-submitter-entry.ts), 2 submit loops each, submit with slow uploads
 * (200–1400 ms, longer than the 1 s grace the engines run with, so the submit's slot
 * refreshes are exercised too) against a tenant limited to 3 concurrent jobs. The test
 * samples the tenant's unfinished jobs in PostgreSQL about 50 times a second and requires
 * the maximum ≤ the limit; at the end the slot holders, read through the raw Redis client,
 * equal the unfinished jobs (none).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { KeyLayout } from '@dalston/adapter-redis';
import { createDalston, type Dalston } from '@dalston/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineTarget,
  type Inspector,
  inspectTarget,
  newTarget,
  type RealAdapters,
  realAdapters,
  targetToEnv,
} from '../../test-support/engine.js';
import { testDatabase } from '../../test-support/postgres.js';
import { testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';

const ENTRY = fileURLToPath(new URL('./support/slot-submitter-entry.ts', import.meta.url));
const LIMIT = 3;
const PROCESSES = 4;
const RUN_MS = 8_000;
const GRACE_MS = 1000;

let s3: S3Server;
let target: EngineTarget;
let real: RealAdapters;
let dalston: Dalston;
let inspect: Inspector;
let raw: Redis;
const children: ChildProcess[] = [];
const tenantId = `tenant-slots-${Date.now().toString(36)}`;

beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  target = newTarget({
    databaseUrl: db.url,
    redisUrl,
    s3Endpoint: s3.endpoint,
    s3Bucket: s3.bucket,
    label: 'slots',
  });
  real = await realAdapters(target);
  dalston = createDalston({
    adapters: real.adapters,
    pipeline: { build: () => [{ stage: 'only', queue: 'slots-q' }] },
    config: { queues: ['slots-q'], slotResyncGraceMs: GRACE_MS },
  });
  (
    await dalston.tenants.create({ id: tenantId, name: tenantId, limits: { concurrentJobs: LIMIT } })
  )._unsafeUnwrap();
  inspect = inspectTarget(target);
  raw = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  raw.on('error', () => {});
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dalston?.close({ deadlineMs: 1000 });
  await real?.close();
  raw?.disconnect();
  await inspect?.cleanup();
  await s3?.stop();
});

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  output: () => string;
}

function spawnSubmitter(): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      ...targetToEnv(target),
      SLOTS_TENANT: tenantId,
      SLOTS_RUN_MS: String(RUN_MS),
      SLOTS_LOOPS: '2',
      SLOTS_GRACE_MS: String(GRACE_MS),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const append = (d: Buffer) => {
    out += d.toString();
    if (/^ready$/m.test(out)) markReady();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    ready: Promise.race([ready, exited.then(() => undefined)]),
    exited,
    output: () => out,
  };
}

const unfinishedIds = async () =>
  (
    await inspect.sql<{ id: string }>(
      `SELECT id FROM ${inspect.t('jobs')} WHERE tenant_id = $1 AND status NOT IN ('completed','failed','cancelled') ORDER BY id`,
      [tenantId],
    )
  ).map((r) => r.id);

describe('the concurrent-job limit holds at every instant (postgres+redis+s3)', () => {
  it(`${PROCESSES} processes submit with slow uploads, maintenance every 200 ms: unfinished ≤ ${LIMIT}, no slot leaked`, {
    timeout: 90_000,
  }, async () => {
    const subs = Array.from({ length: PROCESSES }, spawnSubmitter);
    await Promise.all(subs.map((c) => c.ready));
    for (const c of subs) expect(c.process.exitCode, c.output()).toBeNull();
    (await dalston.maintenance.start({ intervalMs: 200 }))._unsafeUnwrap();
    for (const c of subs) c.process.stdin?.write('go\n');

    let running = true;
    const exits = Promise.all(subs.map((c) => c.exited)).finally(() => {
      running = false;
    });
    let max = 0;
    let samples = 0;
    while (running) {
      max = Math.max(max, (await unfinishedIds()).length);
      samples++;
      await sleep(20);
    }
    const codes = await exits;
    (await dalston.maintenance.stop())._unsafeUnwrap();

    const outputs = subs.map((c) => c.output());
    expect(codes, outputs.join('\n---\n')).toEqual(subs.map(() => 0));
    const results = outputs.map(
      (o) => JSON.parse(/^done (.*)$/m.exec(o)?.[1] ?? 'null') as Record<string, unknown>,
    );
    const admitted = results.reduce((n, r) => n + Number(r.admitted), 0);
    expect(results.flatMap((r) => r.other as string[])).toEqual([]);
    expect(admitted).toBeGreaterThan(2 * LIMIT);
    expect(samples).toBeGreaterThan(RUN_MS / 100); // many samples a second over the run
    expect(max).toBeLessThanOrEqual(LIMIT);

    // No slot leaked: the holders in Redis (raw) are exactly the unfinished jobs: none.
    const slotKey = new KeyLayout(target.redisPrefix).slots(`tenant:${tenantId}:jobs`);
    expect(await unfinishedIds()).toEqual([]);
    expect(await raw.zrange(slotKey, 0, -1)).toEqual([]);
    expect(await raw.zrange(`${slotKey}:at`, 0, -1)).toEqual([]);
    console.log(
      `slot-limit: processes=${PROCESSES} limit=${LIMIT} admitted=${admitted} samples=${samples} maxUnfinished=${max}`,
    );
  });
});
