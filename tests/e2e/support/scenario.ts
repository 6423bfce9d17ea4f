/**
 * The load scenario the fault tests share: private servers (a redis-server, an s3rver,
 * optionally a TCP proxy in front of Redis), a schema of its own on the test PostgreSQL,
 * a host engine that submits, and a pool of worker processes. `verify()` then checks the
 * outcome by reading PostgreSQL, S3 and Redis directly and prints the summary line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '@dalston/core';
import { expect } from 'vitest';
import { type EngineTarget, newTarget } from '../../../test-support/engine.js';
import { type TestDatabase, testDatabase } from '../../../test-support/postgres.js';
import { startProxy, type TcpProxy } from '../../../test-support/proxy.js';
import { type PrivateRedis, startRedisServer } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import {
  STAGES,
  startWorkerPool,
  type WorkerPool,
  type WorkerSpec,
} from '../../../test-support/worker-process.js';
import { drain, type Host, type HostConfig, hostEngine, waitForCompletedTasks } from './host.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export interface Scenario {
  name: string;
  target: EngineTarget;
  redis: PrivateRedis;
  s3: S3Server;
  proxy: TcpProxy | null;
  host: Host;
  pool: WorkerPool;
  jobIds: string[];
  stop(): Promise<void>;
}

export interface ScenarioOptions {
  workers?: number;
  spec?: WorkerSpec;
  /** Put a TCP proxy in front of the private Redis (every engine connects through it). */
  redisProxy?: boolean;
  respawn?: boolean;
  /** Where PostgreSQL is (default `testDatabase()`); e.g. a private cluster a test restarts. */
  database?: () => Promise<TestDatabase>;
  /** Settings of the host engine on top of E2E_CONFIG. */
  hostConfig?: HostConfig;
}

/** Starts the servers, the host engine (with its tenant) and the worker processes. */
export async function startScenario(name: string, options: ScenarioOptions = {}): Promise<Scenario> {
  const [db, redis, s3] = await Promise.all([
    (options.database ?? testDatabase)(),
    startRedisServer(),
    startS3Server({ own: true }),
  ]);
  const proxy = options.redisProxy ? await startProxy({ port: redis.port }) : null;
  const target = newTarget({
    label: name,
    databaseUrl: db.url,
    redisUrl: proxy ? proxy.url('redis') : redis.url,
    s3Endpoint: s3.endpoint,
    s3Bucket: s3.bucket,
  });
  const host = await hostEngine(target, { inspectRedisUrl: redis.url, config: options.hostConfig });
  const pool = startWorkerPool(target, options.workers ?? 4, options.spec ?? {}, {
    respawn: options.respawn ?? true,
  });
  const scenario: Scenario = {
    name,
    target,
    redis,
    s3,
    proxy,
    host,
    pool,
    jobIds: [],
    stop: async () => {
      await pool.stop().catch(() => undefined);
      await host.close().catch(() => undefined);
      await proxy?.close();
      await Promise.all([redis.stop(), s3.stop(), db.stop()]);
    },
  };
  try {
    await pool.ready();
  } catch (e) {
    await scenario.stop();
    throw e;
  }
  return scenario;
}

/**
 * One fault test: start the scenario, submit `jobs` jobs, wait until `warm` tasks are done,
 * run `fault`, then wait until every job is terminal. The scenario is kept in `holder`
 * so an `afterEach` can stop it whatever happens.
 */
export async function runFault(
  name: string,
  holder: { current: Scenario | null },
  fault: (s: Scenario) => Promise<void>,
  options: ScenarioOptions & { jobs?: number; warm?: number; params?: (i: number) => JsonObject } = {},
): Promise<{ s: Scenario; drainMs: number }> {
  const s = await startScenario(name, options);
  holder.current = s;
  await submitLoad(s, options.jobs ?? 200, options.params);
  await waitForCompletedTasks(s.host.inspect, options.warm ?? 150);
  await fault(s);
  const drainMs = await drain(s.host.inspect, 180_000);
  return { s, drainMs };
}

/** Submits `count` jobs through the host engine (ids kept on the scenario). */
export async function submitLoad(s: Scenario, count: number, parameters?: (i: number) => JsonObject) {
  const ids = await s.host.submit(count, parameters ?? (() => ({})));
  s.jobIds.push(...ids);
  return ids;
}

export interface Summary {
  submitted: number;
  completed: number;
  failed: number;
  lost: number;
  duplicateCompletions: number;
  drainMs: number;
}

export const summaryLine = (name: string, x: Summary) =>
  `[${name}] submitted=${x.submitted} completed=${x.completed} failed=${x.failed} lost=${x.lost} ` +
  `duplicateCompletions=${x.duplicateCompletions} drainMs=${x.drainMs}`;

/**
 * Checks the outcome from the stores themselves: every submitted job exists and is
 * terminal; completed unless listed in `expectFailed`; every task of a completed job
 * completed exactly once with its output object in S3; no concurrency slot held.
 */
export async function verify(
  s: Pick<Scenario, 'name' | 'jobIds' | 'host'>,
  drainMs: number,
  expectFailed: ReadonlySet<string> = new Set(),
) {
  const jobs = new Map((await s.host.inspect.jobs()).map((j) => [j.id, j]));
  const tasks = await s.host.inspect.tasks();
  const completions = await s.host.inspect.completionsPerTask();
  const objects = new Set(await s.host.inspect.objectKeys());
  const lost = s.jobIds.filter((id) => !jobs.has(id));
  const duplicateCompletions = [...completions.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
  const summary: Summary = {
    submitted: s.jobIds.length,
    completed: [...jobs.values()].filter((j) => j.status === 'completed').length,
    failed: [...jobs.values()].filter((j) => j.status === 'failed').length,
    lost: lost.length,
    duplicateCompletions,
    drainMs,
  };
  console.log(summaryLine(s.name, summary));
  expect(lost).toEqual([]);
  expect(jobs.size).toBe(s.jobIds.length);
  for (const job of jobs.values()) {
    expect(TERMINAL.has(job.status), `job ${job.id} is ${job.status}`).toBe(true);
    expect(job.status, `job ${job.id}: ${JSON.stringify(job.error)}`).toBe(
      expectFailed.has(job.id) ? 'failed' : 'completed',
    );
  }
  expect(duplicateCompletions).toBe(0);
  const missing: string[] = [];
  for (const t of tasks) {
    if (expectFailed.has(t.job_id)) continue;
    expect(t.status, `${t.job_id}/${t.stage}`).toBe('completed');
    expect(completions.get(t.id), `completions of ${t.job_id}/${t.stage}`).toBe(1);
    const key = `tenants/${s.host.tenantId}/jobs/${t.job_id}/tasks/${t.stage}/out.json`;
    if (!objects.has(key)) missing.push(key);
    expect((t.output as { uri?: string } | null)?.uri).toMatch(/out\.json$/);
  }
  expect(missing, 'output objects missing from S3').toEqual([]);
  expect(tasks.length).toBe(jobs.size * STAGES.length);
  await expectNoSlotLeak(s);
  return summary;
}

/** Raw Redis: the tenant's job-slot holders are a subset of its non-terminal jobs (none, at the end). */
export async function expectNoSlotLeak(s: Pick<Scenario, 'host'>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holders = await s.host.inspect.slotHolders(s.host.tenantId);
    const active = await s.host.inspect.sql<{ id: string }>(
      `SELECT id FROM ${s.host.inspect.t('jobs')} WHERE status NOT IN ('completed','failed','cancelled')`,
    );
    const activeIds = new Set(active.map((r) => r.id));
    const leaked = holders.filter((h) => !activeIds.has(h));
    if (leaked.length === 0) return;
    if (Date.now() > deadline) expect(leaked, 'slots held by terminal jobs').toEqual([]);
    await sleep(200);
  }
}
