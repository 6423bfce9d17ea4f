/** Rate limits per key and per tenant (IETF RateLimit headers, 429 + Retry-After) and the concurrent-job limit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { bytes, client, json, makeTenant, problemOf, startMemoryApi, waitForJob } from './helpers.js';

let api: RunningApi;

beforeAll(async () => {
  api = await startMemoryApi(100);
});
afterAll(() => api.close());

const fixed = (limit: number) => ({ algorithm: 'fixed' as const, limit, windowMs: 60_000 });

describe('request rate limits', () => {
  it('trips the per-key limit on a burst, with draft RateLimit headers and Retry-After', async () => {
    const key = await makeTenant(api, 'burst', { requestsPerKey: fixed(5) });
    const c = client(api.url, key);
    const responses = await Promise.all(Array.from({ length: 9 }, () => c.get('/v1/jobs')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    for (const r of responses) {
      expect(r.headers.get('ratelimit-policy')).toBe('"key";q=5;w=60, "tenant";q=1200;w=60');
      expect(r.headers.get('ratelimit')).toMatch(/^"key";r=\d+;t=\d+(, "tenant";r=\d+;t=\d+)?$/);
    }
    const denied = responses.find((r) => r.status === 429)!;
    expect(Number(denied.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(denied.headers.get('ratelimit')).toMatch(/^"key";r=0;t=\d+$/);
    expect(await problemOf(denied)).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      title: 'Too Many Requests',
    });
    const allowed = responses.find((r) => r.status === 200)!;
    expect(allowed.headers.get('ratelimit')).toMatch(/^"key";r=[0-4];t=\d+, "tenant";r=\d+;t=\d+$/);
  });

  it('trips the per-tenant limit shared by all its keys', async () => {
    const key1 = await makeTenant(api, 'shared', { requests: fixed(6) });
    const created = await api.engine.dalston.apiKeys.create({
      tenantId: 'shared',
      name: 'k2',
      scopes: ['jobs:read'],
    });
    const key2 = created._unsafeUnwrap().key;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await client(api.url, key1).get('/v1/jobs')).status);
      statuses.push((await client(api.url, key2).get('/v1/jobs')).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    const last = await client(api.url, key2).get('/v1/jobs');
    expect(last.status).toBe(429);
    expect(last.headers.get('ratelimit')).toMatch(/"tenant";r=0;t=\d+$/);
    expect((await problemOf(last)).detail).toContain('tenant');
  });
});

describe('concurrent-job limit', () => {
  it('refuses a submit over the tenant limit with 429 until a job finishes', async () => {
    const key = await makeTenant(api, 'busy', { concurrentJobs: 1 });
    const c = client(api.url, key);
    const first = await c.upload(bytes(100));
    expect(first.status).toBe(202);
    const second = await c.upload(bytes(100));
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await problemOf(second)).toMatchObject({ code: 'RATE_LIMITED' });
    const inputs = await api.engine.artifactStore.list('tenants/busy/');
    expect(inputs.items.filter((o) => o.key.includes('/input/'))).toHaveLength(1);
    await waitForJob(c, (await json(first)).id);
    expect((await c.upload(bytes(100))).status).toBe(202);
  });
});
