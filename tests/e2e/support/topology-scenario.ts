/**
 * The fault-test load (submitting host engine + 4 worker processes, 4-task DAG) on a Redis
 * topology other than one server: a Sentinel set or a Cluster, started by the test. The
 * engines reach Redis only through the adapter's `sentinel` or `cluster` options. Part of
 * the load is submitted after the fault, by the same host engine, to show the submitter
 * carries on without a restart. `resumeMs` is the time from the start of the fault until
 * 20 more tasks completed than when it began: more than the 16 that can be in flight, so
 * at least 4 of them were leased after the fault.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type EngineTarget, type Inspector, newTarget } from '../../../test-support/engine.js';
import { testDatabase } from '../../../test-support/postgres.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { startWorkerPool, type WorkerPool } from '../../../test-support/worker-process.js';
import { drain, type Host, hostEngine, waitForCompletedTasks } from './host.js';

export interface TopologyScenario {
  name: string;
  target: EngineTarget;
  s3: S3Server;
  host: Host;
  pool: WorkerPool;
  jobIds: string[];
  stop(): Promise<void>;
}

export type RedisTopology =
  | { sentinels: { host: string; port: number }[]; name: string }
  | { clusterNodes: { host: string; port: number }[] };

const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');

export async function startTopologyScenario(name: string, redis: RedisTopology): Promise<TopologyScenario> {
  const [db, s3] = await Promise.all([testDatabase(), startS3Server({ own: true })]);
  const base = newTarget({
    label: name,
    databaseUrl: db.url,
    redisUrl: 'redis://unused-see-topology',
    s3Endpoint: s3.endpoint,
    s3Bucket: s3.bucket,
  });
  const target: EngineTarget =
    'sentinels' in redis
      ? { ...base, redisSentinels: list(redis.sentinels), redisSentinelName: redis.name }
      : { ...base, redisClusterNodes: list(redis.clusterNodes) };
  const host = await hostEngine(target);
  const pool = startWorkerPool(target, 4, {}, { respawn: false });
  const scenario: TopologyScenario = {
    name,
    target,
    s3,
    host,
    pool,
    jobIds: [],
    stop: async () => {
      await pool.stop().catch(() => undefined);
      await host.close().catch(() => undefined);
      await Promise.all([s3.stop(), db.stop()]);
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

const completedTasks = async (inspect: Inspector) => {
  const [row] = await inspect.sql<{ n: string }>(
    `SELECT count(*) AS n FROM ${inspect.t('tasks')} WHERE status = 'completed'`,
  );
  return Number(row!.n);
};

/** Resolves with the ms from now until 20 more tasks than now completed. */
async function timeToResume(inspect: Inspector, timeoutMs = 120_000): Promise<number> {
  const started = Date.now();
  const at = await completedTasks(inspect);
  for (;;) {
    if ((await completedTasks(inspect)) >= at + 20) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`no progress within ${timeoutMs} ms of the fault`);
    await sleep(50);
  }
}

/**
 * Submits `before` jobs, waits for `warm` completed tasks, runs `fault` (which returns once
 * the topology has recovered), submits `after` jobs through the same host, drains.
 * Every process in the test (host and workers) stays the one started before the fault.
 */
export async function runTopologyFault(
  s: TopologyScenario,
  fault: () => Promise<void>,
  options: { before?: number; after?: number; warm?: number } = {},
): Promise<{ drainMs: number; resumeMs: number; faultMs: number }> {
  s.jobIds.push(...(await s.host.submit(options.before ?? 150)));
  await waitForCompletedTasks(s.host.inspect, options.warm ?? 100);
  const pids = s.pool.live.map((w) => w.pid);
  const resume = timeToResume(s.host.inspect);
  resume.catch(() => undefined);
  const faultStarted = Date.now();
  await fault();
  const faultMs = Date.now() - faultStarted;
  s.jobIds.push(...(await s.host.submit(options.after ?? 50)));
  const drainMs = await drain(s.host.inspect, 180_000);
  const resumeMs = await resume;
  const still = s.pool.live.map((w) => w.pid);
  if (still.length !== pids.length || still.some((p, i) => p !== pids[i])) {
    throw new Error(`worker processes changed during the test: ${pids.join(',')} -> ${still.join(',')}`);
  }
  console.log(`[${s.name}] resumeMs=${resumeMs} faultMs=${faultMs}`);
  return { drainMs, resumeMs, faultMs };
}
