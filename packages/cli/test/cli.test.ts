/**
 * The `dalston` command against the real stores (PostgreSQL + Redis + s3rver), run
 * in-process through `run(argv, io)` with the DALSTON_* environment an operator would set.
 * Seeding goes through an engine of the test's own on the same stores; assertions read the
 * command's output (human and --json) and exit codes, and check effects through that engine.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EXIT, run } from '@dalston/cli';
import { createDalston, type Dalston } from '@dalston/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineTarget, inspectTarget, newTarget, realAdapters } from '../../../test-support/engine.js';
import { pollUntil } from '../../../test-support/poll.js';
import { testDatabase } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';

let s3: S3Server;
let target: EngineTarget;
let env: Record<string, string>;
let dalston: Dalston;
let closeAdapters: () => Promise<void>;

const pipeline = {
  build: (p: { fail?: boolean }) => [
    { stage: 'prepare', queue: 'cli-a' },
    {
      stage: 'work',
      queue: 'cli-a',
      dependsOn: ['prepare'],
      maxAttempts: 1,
      input: { fail: p.fail === true },
    },
    { stage: 'side', queue: 'cli-a', dependsOn: ['prepare'], required: false },
    { stage: 'join', queue: 'cli-a', dependsOn: ['work', 'side'] },
  ],
};

beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  target = newTarget({
    databaseUrl: db.url,
    redisUrl,
    s3Endpoint: s3.endpoint,
    s3Bucket: s3.bucket,
    label: 'cli',
  });
  const real = await realAdapters(target);
  closeAdapters = real.close;
  dalston = createDalston({ adapters: real.adapters, pipeline });
  env = {
    DALSTON_DATABASE_URL: target.databaseUrl,
    DALSTON_DATABASE_SCHEMA: target.schema,
    DALSTON_REDIS_URL: target.redisUrl,
    DALSTON_REDIS_PREFIX: target.redisPrefix,
    DALSTON_S3_BUCKET: target.s3Bucket,
    DALSTON_S3_PREFIX: target.s3Prefix,
    DALSTON_S3_ENDPOINT: target.s3Endpoint,
    DALSTON_S3_REGION: 'us-east-1',
    DALSTON_S3_ACCESS_KEY_ID: 'S3RVER',
    DALSTON_S3_SECRET_ACCESS_KEY: 'S3RVER',
    DALSTON_S3_FORCE_PATH_STYLE: '1',
  };
});

afterAll(async () => {
  await dalston?.close();
  await closeAdapters?.();
  await inspectTarget(target).cleanup();
  await s3?.stop();
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
  return { code, stdout, stderr };
}

const json = async <T>(...argv: string[]): Promise<T> => {
  const r = await cli(...argv, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(EXIT.OK);
  return JSON.parse(r.stdout) as T;
};

describe('dalston (real stores)', () => {
  it('migrate says the schema is current; health pings every store', async () => {
    const migrated = await cli('migrate');
    expect(migrated.code).toBe(EXIT.OK);
    expect(migrated.stdout).toMatch(new RegExp(`schema ${target.schema} is current \\(version \\d+\\)`));
    const health = await json<{ ready: boolean; stores: Record<string, { ok: boolean }> }>('health');
    expect(health.ready).toBe(true);
    expect(Object.keys(health.stores).sort()).toEqual([
      'apiKeyStore',
      'artifactStore',
      'eventBus',
      'jobStore',
      'rateLimitStore',
      'sessionArchive',
      'sessionStore',
      'tenantStore',
      'workQueue',
    ]);
    const human = await cli('health');
    expect(human.stdout).toMatch(/^STORE\s+OK\s+LATENCY MS/);
    expect(human.stdout).toMatch(/jobStore\s+yes/);
  });

  it('tenants: create, get, list with paging, limits, disable and enable', async () => {
    const created = await cli(
      'tenants',
      'create',
      '--id',
      'cli-acme',
      '--name',
      'Acme',
      '--concurrent-jobs',
      '7',
    );
    expect(created.code).toBe(EXIT.OK);
    expect(created.stdout).toMatch(/id:\s+cli-acme/);
    expect(created.stdout).toContain('"concurrentJobs":7');
    await cli('tenants', 'create', '--id', 'cli-beta', '--name', 'Beta');
    const dup = await cli('tenants', 'create', '--id', 'cli-acme', '--name', 'Again');
    expect(dup.code).toBe(EXIT.CONFLICT);
    expect(dup.stderr).toMatch(/^dalston: CONFLICT/);

    const first = await json<{ tenants: { id: string }[]; nextCursor: string | null }>(
      'tenants',
      'list',
      '--limit',
      '1',
    );
    expect(first.tenants.map((t) => t.id)).toEqual(['cli-acme']);
    expect(first.nextCursor).toBe('cli-acme');
    const second = await json<{ tenants: { id: string }[] }>(
      'tenants',
      'list',
      '--limit',
      '1',
      '--cursor',
      'cli-acme',
    );
    expect(second.tenants.map((t) => t.id)).toEqual(['cli-beta']);

    const limited = await json<{ limits: { concurrentJobs?: number } }>(
      'tenants',
      'limits',
      'cli-beta',
      '--concurrent-jobs',
      '3',
    );
    expect(limited.limits.concurrentJobs).toBe(3);
    expect((await dalston.tenants.get('cli-beta'))._unsafeUnwrap().limits.concurrentJobs).toBe(3);

    expect((await cli('tenants', 'disable', 'cli-beta')).stdout).toBe('cli-beta disabled\n');
    expect((await dalston.tenants.get('cli-beta'))._unsafeUnwrap().disabled).toBe(true);
    expect((await cli('tenants', 'enable', 'cli-beta')).stdout).toBe('cli-beta enabled\n');

    const missing = await cli('tenants', 'get', 'cli-nobody');
    expect(missing.code).toBe(EXIT.NOT_FOUND);
    expect(missing.stderr).toMatch(/^dalston: NOT_FOUND/);
  });

  it('keys: create shows the secret once, the key verifies, list never shows it, revoke refuses it', async () => {
    await dalston.tenants.create({ id: 'cli-keys', name: 'Keys' });
    const created = await cli(
      'keys',
      'create',
      '--tenant',
      'cli-keys',
      '--name',
      'ci',
      '--scopes',
      'jobs:read,jobs:write',
    );
    expect(created.code).toBe(EXIT.OK);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^dk_/);
    expect(created.stderr).toMatch(/shown once/);
    const verified = (await dalston.apiKeys.verify(secret))._unsafeUnwrap();
    expect(verified.scopes).toEqual(['jobs:read', 'jobs:write']);

    const listed = await cli('keys', 'list', '--tenant', 'cli-keys');
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).toMatch(/ci\s+dk_\w+\s+jobs:read,jobs:write\s+active/);

    const revoked = await cli('keys', 'revoke', verified.keyId, '--tenant', 'cli-keys');
    expect(revoked.code).toBe(EXIT.OK);
    expect((await dalston.apiKeys.verify(secret)).isErr()).toBe(true);
    expect((await cli('keys', 'list', '--tenant', 'cli-keys')).stdout).toMatch(/revoked/);

    const badScope = await cli('keys', 'create', '--tenant', 'cli-keys', '--name', 'x', '--scopes', 'root');
    expect(badScope.code).toBe(EXIT.USAGE);
    expect(badScope.stderr).toMatch(/"root" is not one of/);
  });

  it('jobs: list with a status filter, get, cancel, retry; reconcile', async () => {
    await dalston.tenants.create({ id: 'cli-jobs', name: 'Jobs' });
    const worker = dalston.createWorker({
      queues: ['cli-a'],
      handler: (ctx) => {
        if ((ctx.task.input as { fail?: boolean } | null)?.fail) throw new Error('asked to fail');
        return { ok: true };
      },
    });
    const ok = (await dalston.jobs.submit({ tenantId: 'cli-jobs', parameters: {} }))._unsafeUnwrap();
    const bad = (
      await dalston.jobs.submit({ tenantId: 'cli-jobs', parameters: { fail: true } })
    )._unsafeUnwrap();
    await pollUntil(
      async () => {
        const a = (await dalston.jobs.get('cli-jobs', ok.id))._unsafeUnwrap();
        const b = (await dalston.jobs.get('cli-jobs', bad.id))._unsafeUnwrap();
        return a.status === 'completed' && b.status === 'failed';
      },
      { timeoutMs: 20_000, what: 'both jobs terminal' },
    );
    await worker.close();

    const failed = await json<{ jobs: { id: string }[] }>(
      'jobs',
      'list',
      '--tenant',
      'cli-jobs',
      '--status',
      'failed',
    );
    expect(failed.jobs.map((j) => j.id)).toEqual([bad.id]);
    const table = await cli('jobs', 'list', '--tenant', 'cli-jobs');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+CREATED\s+FINISHED\s+ERROR$/);
    expect(table.stdout).toContain(ok.id);

    const got = await cli('jobs', 'get', bad.id, '--tenant', 'cli-jobs');
    expect(got.stdout).toMatch(/status:\s+failed/);
    expect(got.stdout).toMatch(/error:\s+\w+ \(work\)/);

    // Cancelling a finished job leaves it as it is; retrying a completed one is refused.
    const cancelDone = await cli('jobs', 'cancel', ok.id, '--tenant', 'cli-jobs');
    expect(cancelDone.code).toBe(EXIT.OK);
    expect(cancelDone.stdout).toBe(`${ok.id} completed\n`);
    const retryDone = await cli('jobs', 'retry', ok.id, '--tenant', 'cli-jobs');
    expect(retryDone.code).toBe(EXIT.CONFLICT);
    expect(retryDone.stderr).toMatch(/^dalston: INVALID_TRANSITION/);

    const failedTree = await cli('jobs', 'inspect', bad.id, '--tenant', 'cli-jobs');
    expect(failedTree.stdout).toMatch(
      /work {2}failed {2}attempt 1 \(1 failed of 1\) {2}.* {2}\w+: asked to fail/,
    );
    const retried = await cli('jobs', 'retry', bad.id, '--tenant', 'cli-jobs');
    expect(retried.code).toBe(EXIT.OK);
    expect(retried.stdout).toMatch(new RegExp(`^${bad.id} (pending|running)\n$`));
    const cancelled = await json<{ status: string }>(
      'jobs',
      'cancel',
      bad.id,
      '--tenant',
      'cli-jobs',
      '--reason',
      'by cli',
    );
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);

    // inspect: the DAG as a tree; join has two parents and is drawn once, referred to under the second
    const tree = await cli('jobs', 'inspect', ok.id, '--tenant', 'cli-jobs');
    expect(tree.code).toBe(EXIT.OK);
    const lines = tree.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${ok.id}  completed  created `));
    expect(lines.slice(1).map((l) => l.replace(/ {2}\d+(\.\d)? m?s$/, ''))).toEqual([
      '└─ prepare  completed  attempt 1',
      '   ├─ work  completed  attempt 1',
      '   │  └─ join  completed  attempt 1',
      '   └─ side (optional)  completed  attempt 1',
      '      └─ ↑ join',
    ]);
    const inspected = await json<{ tasks: { stage: string }[]; edges: { from: string; to: string }[] }>(
      'jobs',
      'inspect',
      ok.id,
      '--tenant',
      'cli-jobs',
    );
    expect(inspected.tasks.map((t) => t.stage).sort()).toEqual(['join', 'prepare', 'side', 'work']);
    expect(inspected.edges).toContainEqual({ from: 'side', to: 'join' });

    const other = await cli('jobs', 'get', ok.id, '--tenant', 'cli-keys');
    expect(other.code).toBe(EXIT.NOT_FOUND);

    const counts = await json<{ requeued: number; skipped: string[] }>('reconcile');
    expect(counts.requeued).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(counts.skipped)).toBe(true);
  });

  it('usage errors exit 2 with a message; no stores configured is refused', async () => {
    const noTenant = await cli('jobs', 'list');
    expect(noTenant.code).toBe(EXIT.USAGE);
    expect(noTenant.stderr).toMatch(/required option '-t, --tenant <id>' not specified/);
    const badLimit = await cli('jobs', 'list', '--tenant', 'x', '--limit', '0');
    expect(badLimit.code).toBe(EXIT.USAGE);
    expect(badLimit.stderr).toMatch(/expected an integer from 1 to 1000/);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(EXIT.USAGE);
    const help = await cli('--help');
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toMatch(/Usage: dalston/);

    let stderr = '';
    const code = await run(['health'], { stdout: () => {}, stderr: (s) => (stderr += s), env: {} });
    expect(code).toBe(EXIT.USAGE);
    expect(stderr).toMatch(/no stores configured: set DALSTON_DATABASE_URL/);
  });

  it('a store that does not answer: health exits 4 and names it, never the connection string', async () => {
    const down = { ...env, DALSTON_REDIS_URL: 'redis://127.0.0.1:1' };
    let stdout = '';
    let stderr = '';
    const code = await run(['health'], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      env: down,
    });
    expect(code).toBe(EXIT.UNAVAILABLE);
    expect(stdout + stderr).not.toContain(target.databaseUrl);
    expect(stdout).toMatch(/workQueue\s+NO/);
  }, 30_000);

  it('the bin, as a process: prints, exits with the code, and ends by itself (nothing left open)', async () => {
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const spawnBin = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.on('data', (d) => (stdout += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
        child.on('error', reject);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout });
        });
      });
    const health = await spawnBin(['health', '--json']);
    expect(health.code).toBe(EXIT.OK);
    expect(JSON.parse(health.stdout).ready).toBe(true);
    const missing = await spawnBin(['jobs', 'get', 'job_nope', '--tenant', 'cli-acme']);
    expect(missing.code).toBe(EXIT.NOT_FOUND);
  }, 60_000);

  it('schedules: list, get with ticks, pause, resume, remove', async () => {
    await dalston.tenants.create({ id: 'cli-sched', name: 'Sched' });
    (
      await dalston.schedules.upsert({
        id: 'cli-nightly',
        tenantId: 'cli-sched',
        cron: '0 3 * * *',
        timezone: 'Europe/Berlin',
      })
    )._unsafeUnwrap();
    const list = await json<{ items: { id: string; paused: boolean }[] }>('schedules', 'list');
    expect(list.items.map((s) => s.id)).toContain('cli-nightly');
    const human = await cli('schedules', 'list');
    expect(human.stdout).toMatch(/cli-nightly\s+cli-sched\s+-\s+0 3 \* \* \*\s+Europe\/Berlin\s+active/);
    const got = await cli('schedules', 'get', 'cli-nightly');
    expect(got.stdout).toMatch(/cron:\s+0 3 \* \* \* \(Europe\/Berlin\)/);
    expect((await cli('schedules', 'pause', 'cli-nightly')).stdout).toBe('cli-nightly paused\n');
    expect((await dalston.schedules.get('cli-nightly'))._unsafeUnwrap().paused).toBe(true);
    expect((await cli('schedules', 'resume', 'cli-nightly')).stdout).toMatch(
      /^cli-nightly active, next tick \d{4}-/,
    );
    expect((await cli('schedules', 'remove', 'cli-nightly')).code).toBe(EXIT.OK);
    expect((await cli('schedules', 'get', 'cli-nightly')).code).toBe(EXIT.NOT_FOUND);
  });

  it('queues and dead letters: stats, pause, resume; list, redrive, discard', async () => {
    const q = 'cli-dead';
    const own = await realAdapters(target);
    const byQueue = { build: () => [{ stage: 'work', queue: q }] };
    const engine = createDalston({
      adapters: own.adapters,
      pipeline: byQueue,
      config: { maxDeliveries: 2, queues: [q] },
    });
    try {
      await engine.tenants.create({ id: 'cli-dl', name: 'Dead letters' });
      // Two jobs whose every delivery "crashes" (leased raw, never acked) until they are dead letters.
      const jobs: string[] = [];
      for (let i = 0; i < 2; i++)
        jobs.push((await engine.jobs.submit({ tenantId: 'cli-dl' }))._unsafeUnwrap().id);
      await pollUntil(
        async () => {
          await own.adapters.workQueue.lease([q], { leaseMs: 50, waitMs: 0 });
          return (await own.adapters.workQueue.stats(q)).dead === 2;
        },
        { timeoutMs: 20_000, everyMs: 60, what: 'two dead letters' },
      );

      const stats = await json<{ queue: string; dead: number; paused: boolean }[]>('queues', 'stats');
      expect(stats.find((s) => s.queue === q)).toMatchObject({ dead: 2, paused: false });
      expect((await cli('queues', 'pause', q)).stdout).toBe(`${q} paused\n`);
      expect((await cli('queues', 'stats')).stdout).toMatch(
        new RegExp(`${q}\\s+\\d+\\s+\\d+\\s+\\d+\\s+2\\s+paused`),
      );
      expect((await cli('queues', 'resume', q)).stdout).toBe(`${q} resumed\n`);

      const letters = await json<{ items: { id: string; jobId: string; stage: string }[] }>(
        'dead-letters',
        'list',
        q,
      );
      expect(letters.items.map((l) => l.jobId).sort()).toEqual([...jobs].sort());
      expect(letters.items.every((l) => l.stage === 'work')).toBe(true);
      const human = await cli('dead-letters', 'list', q);
      expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+TENANT\s+JOB\s+STAGE/);

      const first = letters.items.find((l) => l.jobId === jobs[0])!;
      const redriven = await cli('dead-letters', 'redrive', q, first.id);
      expect(redriven.code).toBe(EXIT.OK);
      expect(redriven.stdout).toMatch(/^redriven 1\n/);
      const task = (await engine.jobs.get('cli-dl', jobs[0]!))._unsafeUnwrap().tasks[0]!;
      expect(task.attempt).toBeGreaterThan(1); // a new attempt

      const discarded = await cli('dead-letters', 'discard', q, 'all');
      expect(discarded.stdout).toBe('discarded 1\n');
      expect((await json<{ items: unknown[] }>('dead-letters', 'list', q)).items).toEqual([]);

      const badQueue = await cli('dead-letters', 'list', 'no such queue!');
      expect(badQueue.code).toBe(EXIT.USAGE);
      expect(badQueue.stderr).toMatch(/queue/);
    } finally {
      await engine.close();
      await own.close();
    }
  }, 60_000);
});
