/**
 * Schedules and delayed jobs on PostgreSQL + Redis + S3, with real processes:
 *
 * 1. Three engine processes (engine-entry.ts, each running maintenance with the schedule
 *    firing pass every 100 ms) on the same PostgreSQL + Redis, one every-second schedule for
 *    a few seconds: read from PostgreSQL directly, every tick from the first to the last is
 *    in the ledger exactly once, submitted, with exactly one job (idempotency key
 *    `schedule:<id>:<tick>`), and the firing passes of the three never overlapped. Prints a
 *    summary line (ticks, jobs, duplicates, missing, which process fired how many ticks).
 * 2. A delayed job survives an engine restart and a Redis FLUSHALL (a private redis-server):
 *    it runs only after its runAt, on a new engine; a delayed job cancelled before its runAt
 *    never runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDalston } from '@dalston/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineTarget, inspectTarget, newTarget, realAdapters } from '../../test-support/engine.js';
import { type EngineProcess, overlappingPasses, spawnEngine } from '../../test-support/engine-process.js';
import { testDatabase } from '../../test-support/postgres.js';
import { type PrivateRedis, startRedisServer } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { diamondPipeline, QUEUE_A, QUEUE_B } from '../../test-support/worker-process.js';
import { E2E_CONFIG, hostEngine } from './support/host.js';

let s3: S3Server;
let redis: PrivateRedis;
let databaseUrl: string;
beforeAll(async () => {
  const [db, r, s] = await Promise.all([testDatabase(), startRedisServer(), startS3Server()]);
  databaseUrl = db.url;
  redis = r;
  s3 = s;
});
afterAll(async () => {
  await Promise.all([s3?.stop(), redis?.stop()]);
});

const fresh = (label: string): EngineTarget =>
  newTarget({ label, databaseUrl, redisUrl: redis.url, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket });

interface TickRow {
  tick: number;
  outcome: string;
  job_id: string | null;
  claimed_at: number;
}

describe('schedules across engine processes', () => {
  // About 8 s of its own plus starting three Node processes with tsx (seconds on a quiet
  // machine, up to a minute on a loaded one).
  it('3 engine processes, one every-second schedule: exactly one job per tick, no tick missing', {
    timeout: 180_000,
  }, async () => {
    const target = fresh('schedules3');
    const host = await hostEngine(target);
    const engines: EngineProcess[] = [];
    try {
      const id = 'every-second';
      const upsert = { id, tenantId: host.tenantId, cron: '* * * * * *', overlap: 'allow' as const };
      for (let i = 0; i < 3; i++) engines.push(spawnEngine(target, { maintenanceMs: 1000, scheduleMs: 100 }));
      await Promise.all(engines.map((e) => e.ready));
      // Defined once all three run, so every tick of the window is theirs to fire.
      const created = (await host.dalston.schedules.upsert(upsert))._unsafeUnwrap();
      const allUp = Date.now();
      await sleep(6000);
      const paused = (await host.dalston.schedules.pause(id))._unsafeUnwrap();
      const pausedAt = paused.updatedAt;
      await sleep(300); // a pass that read the schedule before the pause may still claim one tick
      await Promise.all(engines.map((e) => e.stop()));

      const ticks = (
        await host.inspect.sql<TickRow>(
          `SELECT round(extract(epoch from tick) * 1000)::float8 AS tick, outcome, job_id,
             round(extract(epoch from claimed_at) * 1000)::float8 AS claimed_at
           FROM ${host.inspect.t('schedule_ticks')} WHERE schedule_id = $1 ORDER BY tick`,
          [id],
        )
      ).map((r) => ({ ...r, tick: Number(r.tick), claimed_at: Number(r.claimed_at) }));
      const jobs = await host.inspect.sql<{ id: string; idempotency_key: string }>(
        `SELECT id, idempotency_key FROM ${host.inspect.t('jobs')} WHERE idempotency_key LIKE $1`,
        [`schedule:${id}:%`],
      );
      const jobsPerTick = new Map<string, number>();
      for (const j of jobs) jobsPerTick.set(j.idempotency_key, (jobsPerTick.get(j.idempotency_key) ?? 0) + 1);
      const duplicates = [...jobsPerTick.values()].filter((n) => n > 1).length;
      const first = created.nextTick!;
      const last = ticks.at(-1)?.tick ?? first;
      const expected = (last - first) / 1000 + 1;
      const missing = expected - new Set(ticks.map((t) => t.tick)).size;

      // Who fired each tick: the process whose firing pass (from its pass log) held the claim time.
      const passes = engines.flatMap((e) => e.passes()).filter((p) => p.name === 'dalston:schedules');
      const byEngine = engines.map(
        (e) =>
          ticks.filter((t) =>
            passes.some((p) => p.pid === e.pid && t.claimed_at >= p.start - 1 && t.claimed_at <= p.end + 1),
          ).length,
      );
      console.log(
        `[schedules-3-processes] ticks=${ticks.length} jobs=${jobs.length} duplicates=${duplicates} ` +
          `missing=${missing} window=${((last - first) / 1000 + 1).toFixed(0)}s ` +
          `(schedule live ${((pausedAt - allUp) / 1000).toFixed(1)}s) ticks-fired-per-process=[${byEngine.join(',')}] ` +
          `firing-passes=${passes.length} overlapping-passes=${overlappingPasses(passes).length}`,
      );

      expect(ticks.length).toBeGreaterThanOrEqual(5);
      expect(ticks[0]!.tick).toBe(first);
      expect(ticks.map((t) => t.tick)).toEqual(Array.from({ length: expected }, (_, i) => first + i * 1000));
      expect(missing).toBe(0);
      expect(last).toBeGreaterThanOrEqual(pausedAt - 2000); // fired up to the pause
      expect(ticks.every((t) => t.outcome === 'submitted' && t.job_id !== null)).toBe(true);
      expect(duplicates).toBe(0);
      expect(jobs.length).toBe(ticks.length);
      expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(ticks.map((t) => t.job_id)));
      expect(new Set(jobs.map((j) => j.idempotency_key))).toEqual(
        new Set(ticks.map((t) => `schedule:${id}:${t.tick}`)),
      );
      expect(overlappingPasses(passes)).toEqual([]);
      expect(engines.filter((_, i) => byEngine[i]! > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(engines.map((e) => e.stop()));
      await host.close();
    }
  });
});

describe('delayed jobs on the real set', () => {
  it('survive an engine restart and a Redis FLUSHALL; a cancel before runAt holds', {
    timeout: 60_000,
  }, async () => {
    const target = fresh('delayed');
    const first = await hostEngine(target);
    const delayed = (
      await first.dalston.jobs.submit({ tenantId: first.tenantId, delayMs: 3000 })
    )._unsafeUnwrap();
    const cancelled = (
      await first.dalston.jobs.submit({ tenantId: first.tenantId, runAt: new Date(Date.now() + 3000) })
    )._unsafeUnwrap();
    (await first.dalston.jobs.cancel(first.tenantId, cancelled.id))._unsafeUnwrap();
    const runAt = delayed.createdAt + 3000;
    await first.close({ keepData: true });

    const raw = new Redis(redis.url);
    try {
      expect(await raw.flushall()).toBe('OK');
    } finally {
      raw.disconnect();
    }

    const real = await realAdapters(target);
    const dalston = createDalston({ adapters: real.adapters, pipeline: diamondPipeline, config: E2E_CONFIG });
    const inspect = inspectTarget(target);
    const starts: Array<{ jobId: string; at: number }> = [];
    const worker = dalston.createWorker({
      queues: [QUEUE_A, QUEUE_B],
      concurrency: 4,
      handler: async (ctx) => {
        starts.push({ jobId: ctx.task.jobId, at: Date.now() });
        return {};
      },
    });
    try {
      (await dalston.maintenance.start({ intervalMs: 200 }))._unsafeUnwrap();
      const status = async (jobId: string) =>
        (
          await inspect.sql<{ status: string }>(`SELECT status FROM ${inspect.t('jobs')} WHERE id = $1`, [
            jobId,
          ])
        )[0]?.status;
      const deadline = Date.now() + 30_000;
      while ((await status(delayed.id)) !== 'completed') {
        expect(Date.now() < deadline, 'the delayed job completes').toBe(true);
        await sleep(100);
      }
      expect(starts.filter((s) => s.jobId === delayed.id)).toHaveLength(4);
      expect(Math.min(...starts.map((s) => s.at))).toBeGreaterThanOrEqual(runAt);
      expect(await status(cancelled.id)).toBe('cancelled');
      expect(starts.some((s) => s.jobId === cancelled.id)).toBe(false);
    } finally {
      await worker.close();
      await dalston.close({ deadlineMs: 1000 });
      await real.close();
      await inspect.cleanup();
    }
  });
});
