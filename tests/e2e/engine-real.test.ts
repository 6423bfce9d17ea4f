/**
 * The whole engine on PostgreSQL + Redis + S3: the published whole-engine contract suite
 * with the three real adapter sets (a schema, a Redis key prefix and an S3 object prefix of
 * its own per test), and several worker processes sharing the work of one engine.
 */
import { engineContract, realTime } from '@dalston/core/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineTarget, inspectTarget, newTarget, realAdapters } from '../../test-support/engine.js';
import { testDatabase } from '../../test-support/postgres.js';
import { testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { startWorkerPool } from '../../test-support/worker-process.js';
import { drain, hostEngine } from './support/host.js';

let s3: S3Server;
let servers: { databaseUrl: string; redisUrl: string; s3Endpoint: string; s3Bucket: string };
beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  servers = { databaseUrl: db.url, redisUrl, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket };
});
afterAll(async () => {
  await s3?.stop();
});

const fresh = (label: string): EngineTarget => newTarget({ ...servers, label });

engineContract('postgres+redis+s3', async () => {
  const target = fresh('contract');
  const real = await realAdapters(target);
  return {
    adapters: real.adapters,
    time: realTime,
    cleanup: async () => {
      await real.close();
      await inspectTarget(target).cleanup();
    },
    // What FLUSHALL does to this engine's queue store, on the shared server: every key of its prefix.
    wipeQueue: async () => {
      const keys = await real.redis.keys(`*${target.redisPrefix}*`);
      if (keys.length > 0) await real.redis.del(...keys);
    },
  };
});

describe('postgres+redis+s3: worker processes', () => {
  it('three worker processes on the same servers share the work; every job completes once', {
    timeout: 120_000,
  }, async () => {
    const target = fresh('share');
    const host = await hostEngine(target);
    const pool = startWorkerPool(target, 3, { concurrency: 2 }, { respawn: false });
    try {
      await pool.ready();
      const ids = await host.submit(20, () => ({ sleepMs: 30 }));
      await drain(host.inspect, 60_000);
      const jobs = await host.inspect.jobs();
      expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
      expect(jobs.every((j) => j.status === 'completed')).toBe(true);
      const tasks = await host.inspect.tasks();
      expect(tasks).toHaveLength(80);
      const completions = await host.inspect.completionsPerTask();
      expect(tasks.every((t) => completions.get(t.id) === 1)).toBe(true);
      const pids = new Set(tasks.map((t) => (t.output as { pid: number }).pid));
      expect([...pids].sort()).toEqual(pool.live.map((w) => w.pid).sort());
    } finally {
      await pool.stop();
      await host.close();
    }
  });
});
