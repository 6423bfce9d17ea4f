/**
 * Rate limits while the real Redis that holds them is down: a private redis-server (never
 * the shared one) is killed mid-test, then restarted empty. `fail-closed` limits refuse
 * with STORE_UNAVAILABLE and admit nothing; `fail-open` limits are decided by the
 * in-process fallback limiter, which still enforces each limit (request windows, job and
 * session slots), frees the slots of jobs that end meanwhile, and marks its answers
 * `degraded`; after the restart both engines use
 * Redis again with no help from the test (no reconnect, no reset).
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { type RedisAdapters, redisAdapters } from '@dalston/adapter-redis';
import { createDalston, type Dalston, type DalstonAdapters, type RateLimitPolicy } from '@dalston/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../test-support/poll.js';
import { type PrivateRedis, startRedisServer } from '../../test-support/redis.js';

let server: PrivateRedis;
let redis: RedisAdapters;
let adapters: DalstonAdapters;
let failOpen: Dalston;
let failClosed: Dalston;
const TENANT = 'acme';
const window: RateLimitPolicy = { algorithm: 'fixed', limit: 3, windowMs: 60_000 };
const pipeline = { build: () => [{ stage: 'a', queue: 'rl-outage' }] };
const warnings: string[] = [];
const logger = {
  debug() {},
  info() {},
  warn: (m: string) => void warnings.push(m),
  error() {},
  child() {
    return logger;
  },
};

beforeAll(async () => {
  server = await startRedisServer();
  redis = redisAdapters({ url: server.url, prefix: 'rl-outage' });
  // Only the rate limits live in Redis: what this file tests is their failure policy.
  adapters = { ...memoryAdapters(), rateLimitStore: redis.rateLimitStore };
  const limits = { concurrentJobs: 2, concurrentSessions: 1 };
  failOpen = createDalston({ adapters, pipeline, logger, config: { rateLimitFailure: 'fail-open' } });
  failClosed = createDalston({
    adapters,
    pipeline,
    config: { rateLimitFailure: { default: 'fail-closed' } },
  });
  (await failOpen.tenants.create({ id: TENANT, name: TENANT, limits }))._unsafeUnwrap();
});
afterAll(async () => {
  await failOpen?.close({ deadlineMs: 1000 });
  await failClosed?.close({ deadlineMs: 1000 });
  await redis?.close();
  await server?.stop();
});

/** Polls `ok` every 100 ms (real time) until it holds; fails after `ms`. */
const waitUntil = (ok: () => Promise<boolean>, ms: number) => pollUntil(ok, { timeoutMs: ms, everyMs: 100 });

const jobs = async (d: Dalston) => (await d.jobs.list({ tenantId: TENANT, limit: 100 }))._unsafeUnwrap().jobs;

describe('rate limits with Redis stopped, then restarted', () => {
  it('fail-closed refuses, fail-open falls back and still limits, both recover after the restart', {
    timeout: 60_000,
  }, async () => {
    const before = (await failClosed.rateLimits.check(window, 'k-up'))._unsafeUnwrap();
    expect(before).toMatchObject({ allowed: true });
    expect(before.degraded).toBeUndefined();

    await server.kill();

    // fail-closed: every limit refuses with STORE_UNAVAILABLE, and nothing is admitted.
    const check = await failClosed.rateLimits.check(window, 'k-closed');
    expect(check._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
    const submit = await failClosed.jobs.submit({ tenantId: TENANT });
    expect(submit._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
    const session = await failClosed.sessions.start({ tenantId: TENANT });
    expect(session._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
    expect(await jobs(failClosed)).toEqual([]);

    // fail-open: the fallback limiter decides, degraded, and still holds each limit.
    const hits = [];
    for (let i = 0; i < 4; i++)
      hits.push((await failOpen.rateLimits.check(window, 'k-open'))._unsafeUnwrap());
    expect(hits.map((h) => [h.allowed, h.degraded])).toEqual([
      [true, true],
      [true, true],
      [true, true],
      [false, true],
    ]);
    const submits = [];
    for (let i = 0; i < 3; i++) submits.push(await failOpen.jobs.submit({ tenantId: TENANT }));
    expect(submits.map((r) => (r.isOk() ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    expect(await jobs(failOpen)).toHaveLength(2);
    // Jobs the fallback admitted give their slot back to it when they end (Redis still down).
    const worker = failOpen.createWorker({ queues: ['rl-outage'], waitMs: 100, handler: async () => 'done' });
    await waitUntil(async () => (await jobs(failOpen)).every((j) => j.status === 'completed'), 20_000);
    // Stopped, so the job submitted after the restart still holds its slot when it is read below.
    await worker.close();
    const third = await failOpen.jobs.submit({ tenantId: TENANT });
    expect(third.isOk() ? 'ok' : third.error.code).toBe('ok');
    const first = await failOpen.sessions.start({ tenantId: TENANT });
    expect(first.isOk()).toBe(true);
    expect((await failOpen.sessions.start({ tenantId: TENANT }))._unsafeUnwrapErr().code).toBe(
      'RATE_LIMITED',
    );
    expect(warnings.some((w) => w.includes('fail-open fallback limiter decides'))).toBe(true);

    await server.restart();

    // Recovered by itself: answers come from Redis again (not degraded), slots are in Redis.
    await waitUntil(async () => (await failClosed.rateLimits.check(window, 'k-back')).isOk(), 20_000);
    const after = (await failOpen.rateLimits.check(window, 'k-back'))._unsafeUnwrap();
    expect(after.degraded).toBeUndefined();
    const job = (await failClosed.jobs.submit({ tenantId: TENANT }))._unsafeUnwrap();
    expect(await redis.rateLimitStore.holders(`tenant:${TENANT}:jobs`)).toEqual([job.id]);
    const s = (await failClosed.sessions.start({ tenantId: TENANT }))._unsafeUnwrap();
    expect(await redis.rateLimitStore.holders(`tenant:${TENANT}:sessions`)).toEqual([s.id]);
  });
});
