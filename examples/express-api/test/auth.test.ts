/** Authentication, scopes, key management and tenant isolation over real HTTP (memory mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { bytes, client, json, makeTenant, problemOf, startMemoryApi, waitForJob } from './helpers.js';

let api: RunningApi;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startMemoryApi(10);
  admin = client(api.url, api.bootstrap!.adminKey);
});
afterAll(() => api.close());

describe('authentication', () => {
  it.each([
    ['no header', null, {}],
    ['not a bearer token', null, { authorization: 'Basic Zm9vOmJhcg==' }],
    ['a malformed key', null, { authorization: 'Bearer abc' }],
    ['a well-formed unknown key', null, { authorization: `Bearer dk_aaaaaaaa_${'A'.repeat(32)}` }],
  ])('rejects %s with 401 problem+json', async (_name, key, headers) => {
    const res = await client(api.url, key).get('/v1/jobs', headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      title: 'Unauthorized',
      instance: '/v1/jobs',
    });
    expect(problem.type).toBe('urn:dalston:error:unauthorized');
    expect(JSON.stringify(problem)).not.toMatch(/stack|at .*\.ts|node_modules/);
  });

  it('needs no key for /healthz and /readyz', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toMatchObject({ status: 'ready', stores: { jobStore: { ok: true } } });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const problem = await problemOf(await admin.get('/v1/nothing-here'));
    expect(problem).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('API keys (admin scope)', () => {
  it('creates a key shown once, which then works, and revokes it', async () => {
    const res = await admin.post('/v1/keys', { name: 'reader', scopes: ['jobs:read'] });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created.key).toMatch(/^dk_[a-z0-9]{8}_[A-Za-z0-9]{32}$/);
    expect(created).toMatchObject({ name: 'reader', scopes: ['jobs:read'], revokedAt: null });
    expect(created).not.toHaveProperty('hash');
    const reader = client(api.url, created.key);
    expect((await reader.get('/v1/jobs')).status).toBe(200);

    const listed = await json(admin.get('/v1/keys'));
    const shown = listed.items.find((k: { id: string }) => k.id === created.id);
    expect(shown).toBeDefined();
    expect(shown).not.toHaveProperty('key');

    expect((await admin.del(`/v1/keys/${created.id}`)).status).toBe(204);
    const after = await reader.get('/v1/jobs');
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe('UNAUTHORIZED');
  });

  it('refuses scopes a key lacks with 403', async () => {
    const created = await json(admin.post('/v1/keys', { name: 'ro', scopes: ['jobs:read'] }));
    const reader = client(api.url, created.key);
    const submit = await reader.upload(bytes(100));
    expect(submit.status).toBe(403);
    expect(await problemOf(submit)).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const keys = await reader.post('/v1/keys', { name: 'x', scopes: ['admin'] });
    expect((await problemOf(keys)).code).toBe('FORBIDDEN');
    expect((await reader.del(`/v1/keys/${created.id}`)).status).toBe(403);
  });

  it('validates the key body and the JSON', async () => {
    const bad = await admin.post('/v1/keys', { name: 'x', scopes: ['root'] });
    expect(await problemOf(bad)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const notJson = await admin.post('/v1/keys', undefined, { 'content-type': 'application/json' });
    expect(notJson.status).toBe(400);
    const broken = await fetch(`${api.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.bootstrap!.adminKey}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(await problemOf(broken)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((await problemOf(await admin.del('/v1/keys/key_missing'))).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it("reads another tenant's job as 404 on every route", async () => {
    const submitted = await json(admin.upload(bytes(1000)));
    await waitForJob(admin, submitted.id);
    const other = client(api.url, await makeTenant(api, 'other-tenant'));
    for (const res of [
      await other.get(`/v1/jobs/${submitted.id}`),
      await other.get(`/v1/jobs/${submitted.id}/result`),
      await other.get(`/v1/jobs/${submitted.id}/events`),
      await other.post(`/v1/jobs/${submitted.id}/cancel`),
      await other.del(`/v1/jobs/${submitted.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect((await problemOf(res)).code).toBe('NOT_FOUND');
    }
    const list = await json(other.get('/v1/jobs'));
    expect(list.items).toEqual([]);
    // Still there for its owner.
    expect((await admin.get(`/v1/jobs/${submitted.id}`)).status).toBe(200);
    // And another tenant's key cannot be revoked.
    const keys = await json(admin.get('/v1/keys'));
    expect((await other.del(`/v1/keys/${keys.items[0].id}`)).status).toBe(404);
  });
});
