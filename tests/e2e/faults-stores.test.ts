/**
 * Fault tests, store side: 200 jobs with a 4-task DAG over 4 worker processes, and in the
 * middle of the load: FLUSHALL; Redis stopped 5 s and started again empty (script cache
 * lost); the S3 server stopped 5 s and started again; the engine pools' PostgreSQL backends
 * terminated; a TCP proxy in front of Redis black-holing traffic. Each test starts its own
 * redis-server, s3rver (and proxy) on free ports and kills only its own pids; PostgreSQL
 * faults terminate only backends with the test engine's application_name.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runFault, type Scenario, verify } from './support/scenario.js';

const TIMEOUT = 300_000;
const holder: { current: Scenario | null } = { current: null };
afterEach(async () => {
  await holder.current?.stop();
  holder.current = null;
});

describe.sequential('fault tests (stores): 200 jobs × 4-task DAG × 4 worker processes', () => {
  it('FLUSHALL the Redis server in the middle of the load', { timeout: TIMEOUT }, async () => {
    const { s, drainMs } = await runFault('flushall', holder, async (sc) => {
      const raw = new Redis(sc.redis.url);
      try {
        expect(await raw.flushall()).toBe('OK');
      } finally {
        raw.disconnect();
      }
    });
    await verify(s, drainMs);
  });

  it('Redis stopped for 5 s, then started again empty (data and script cache lost)', {
    timeout: TIMEOUT,
  }, async () => {
    const { s, drainMs } = await runFault('redis-restart', holder, async (sc) => {
      await sc.redis.kill();
      await sleep(1000);
      const health = (await sc.host.dalston.health.check())._unsafeUnwrap();
      expect(health.ready).toBe(false);
      expect(health.stores.workQueue).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      expect(health.stores.jobStore.ok).toBe(true);
      const submit = await sc.host.dalston.jobs.submit({ tenantId: sc.host.tenantId });
      expect(submit.isErr() && submit.error.code).toBe('STORE_UNAVAILABLE');
      await sleep(4000);
      await sc.redis.restart();
    });
    await verify(s, drainMs);
  });

  it('the S3 server stopped for 5 s, then started again', { timeout: TIMEOUT }, async () => {
    const { s, drainMs } = await runFault('s3-restart', holder, async (sc) => {
      await sc.s3.kill();
      await sleep(1000);
      const health = (await sc.host.dalston.health.check())._unsafeUnwrap();
      expect(health.ready).toBe(false);
      expect(health.stores.artifactStore).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      await sleep(4000);
      await sc.s3.restart();
    });
    await verify(s, drainMs);
  });

  it("PostgreSQL backends of the engines' pools terminated (pg_terminate_backend) three times", {
    timeout: TIMEOUT,
  }, async () => {
    const { s, drainMs } = await runFault('pg-terminate', holder, async (sc) => {
      const admin = new pg.Client({ connectionString: sc.target.databaseUrl });
      await admin.connect();
      try {
        let terminated = 0;
        for (let i = 0; i < 3; i++) {
          const { rows } = await admin.query<{ ok: boolean }>(
            'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
            [sc.target.applicationName],
          );
          terminated += rows.filter((r) => r.ok).length;
          await sleep(500);
        }
        expect(terminated).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
    });
    await verify(s, drainMs);
  });

  it('a TCP proxy in front of Redis black-holes traffic (half-open connections) for 4 s', {
    timeout: TIMEOUT,
  }, async () => {
    const { s, drainMs } = await runFault(
      'redis-blackhole',
      holder,
      async (sc) => {
        sc.proxy!.blackhole();
        await sleep(4000);
        sc.proxy!.pass();
      },
      { redisProxy: true },
    );
    await verify(s, drainMs);
  });
});
