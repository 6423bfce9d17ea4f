/**
 * Whole-engine contract, limits and sessions: the concurrent-job limit holds under
 * concurrent submits and slots are freed at terminal states; a retried idempotent submit
 * at the limit gets its job back; request limits are values;
 * sessions start, update with a version check, record, end, and expire into
 * `interrupted` through the sweeper, giving their slot back.
 */
import { describe, expect, it } from 'vitest';
import { type EngineFactory, gate, randomName, withEngine } from './engine.harness.js';
import { eventually } from './harness.js';

export function engineLimitsContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine limits and sessions`, () => {
    it('concurrent submits never exceed the concurrent-job limit; slots are freed at terminal states', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'only', queue: q }] };
      await withEngine(factory, { pipeline, tenantLimits: { concurrentJobs: 2 } }, async (run) => {
        const submit = () => run.dalston.jobs.submit({ tenantId: run.tenantId });
        const results = await Promise.all([submit(), submit(), submit(), submit()]);
        const ok = results.filter((r) => r.isOk()).map((r) => r._unsafeUnwrap());
        const limited = results.filter((r) => r.isErr()).map((r) => r._unsafeUnwrapErr());
        expect(ok).toHaveLength(2);
        expect(limited.map((e) => e.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
        expect(limited[0]!.retryAfterMs).toBeGreaterThan(0);
        expect(await run.adapters.artifactStore.list(`tenants/${run.tenantId}/`)).toMatchObject({
          items: [],
        });
        await run.dalston.jobs.cancel(run.tenantId, ok[0]!.id);
        const third = (await submit())._unsafeUnwrap();
        run.dalston.createWorker({ queues: [q], concurrency: 2, waitMs: 100, handler: () => null });
        await run.waitFor(ok[1]!.id, 'completed');
        await run.waitFor(third.id, 'completed');
        // The slot is given back right after the terminal commit the wait above observed.
        await eventually(run.time, async () => {
          expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:jobs`)).toEqual([]);
        });
      });
    });

    it('a retried idempotent submit at the concurrent-job limit returns its running job', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'only', queue: q }] };
      await withEngine(factory, { pipeline, tenantLimits: { concurrentJobs: 1 } }, async (run) => {
        const release = gate();
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: () => release.promise.then(() => null),
        });
        const submit = (idempotencyKey: string) =>
          run.dalston.jobs.submit({ tenantId: run.tenantId, idempotencyKey });
        const first = (await submit('retry-me'))._unsafeUnwrap();
        await run.waitFor(first.id, 'running');
        const retry = (await submit('retry-me'))._unsafeUnwrap();
        expect(retry).toMatchObject({ id: first.id, status: 'running' });
        expect((await submit('another'))._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
        const jobs = (await run.dalston.jobs.list({ tenantId: run.tenantId }))._unsafeUnwrap().jobs;
        expect(jobs.map((j) => j.id)).toEqual([first.id]);
        expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:jobs`)).toEqual([first.id]);
        release.open();
        await run.waitFor(first.id, 'completed');
      });
    });

    it('a request limit that is hit is a value with retryAfterMs, not an error', async () => {
      await withEngine(factory, { pipeline: { build: () => [] } }, async (run) => {
        const policy = { algorithm: 'fixed' as const, limit: 2, windowMs: 60_000 };
        const key = `tenant:${run.tenantId}:requests`;
        const first = (await run.dalston.rateLimits.check(policy, key))._unsafeUnwrap();
        const second = (await run.dalston.rateLimits.check(policy, key))._unsafeUnwrap();
        const third = (await run.dalston.rateLimits.check(policy, key))._unsafeUnwrap();
        expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false]);
        expect(third.retryAfterMs).toBeGreaterThan(0);
      });
    });

    it('a session starts, updates with a version check, records, and ends with its artifacts', async () => {
      await withEngine(
        factory,
        { pipeline: { build: () => [] }, tenantLimits: { concurrentSessions: 1 } },
        async (run) => {
          const s = (
            await run.dalston.sessions.start({ tenantId: run.tenantId, fields: { lang: 'en' } })
          )._unsafeUnwrap();
          expect(s).toMatchObject({ status: 'active', version: 1, fields: { lang: 'en' } });
          const full = await run.dalston.sessions.start({ tenantId: run.tenantId });
          expect(full._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
          const v2 = (
            await run.dalston.sessions.update(
              run.tenantId,
              s.id,
              { fields: { words: 3 } },
              { expectedVersion: 1 },
            )
          )._unsafeUnwrap();
          expect(v2).toMatchObject({ version: 2, fields: { lang: 'en', words: 3 } });
          const stale = await run.dalston.sessions.update(
            run.tenantId,
            s.id,
            { fields: { words: 4 } },
            { expectedVersion: 1 },
          );
          expect(stale._unsafeUnwrapErr().code).toBe('CONFLICT');
          const audio = (
            await run.dalston.sessions.record(run.tenantId, s.id, 'audio.raw', new Uint8Array([1, 2, 3]))
          )._unsafeUnwrap();
          const record = (
            await run.dalston.sessions.end(run.tenantId, s.id, { stats: { seconds: 1 } })
          )._unsafeUnwrap();
          expect(record).toMatchObject({
            status: 'completed',
            stats: { seconds: 1 },
            artifacts: { 'audio.raw': audio.uri },
          });
          expect((await run.dalston.sessions.get(run.tenantId, s.id))._unsafeUnwrapErr().code).toBe(
            'NOT_FOUND',
          );
          expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:sessions`)).toEqual([]);
        },
      );
    });

    it('a session whose live state expired is swept as interrupted and frees its slot', async () => {
      await withEngine(factory, { pipeline: { build: () => [] } }, async (run) => {
        const s = (await run.dalston.sessions.start({ tenantId: run.tenantId, ttlMs: 300 }))._unsafeUnwrap();
        await run.time.advance(200);
        expect((await run.dalston.sessions.keepalive(run.tenantId, s.id, { ttlMs: 300 })).isOk()).toBe(true);
        await run.time.advance(1500);
        expect((await run.dalston.sessions.get(run.tenantId, s.id)).isErr()).toBe(true);
        expect((await run.dalston.maintenance.sweepSessions())._unsafeUnwrap()).toBeGreaterThanOrEqual(1);
        const record = (await run.dalston.sessions.archived(run.tenantId, s.id))._unsafeUnwrap();
        expect(record.status).toBe('interrupted');
        expect(await run.adapters.rateLimitStore.holders(`tenant:${run.tenantId}:sessions`)).toEqual([]);
        expect((await run.dalston.maintenance.sweepSessions())._unsafeUnwrap()).toBe(0);
      });
    });
  });
}
