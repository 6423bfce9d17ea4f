/** The web console mounted by the example at /console, behind its admin key (memory mode, over HTTP). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { startMemoryApi } from './helpers.js';

const ADMIN = 'example-console-admin-key-123456';
let api: RunningApi;

beforeAll(async () => {
  api = await startMemoryApi(10, { consoleAdminKey: ADMIN });
});
afterAll(() => api.close());

describe('/console', () => {
  it('sends a browser without the key to the sign-in form and serves the pages with it', async () => {
    const anonymous = await fetch(`${api.url}/console/jobs`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/console/login');
    const wrongKey = await fetch(`${api.url}/console/jobs`, {
      redirect: 'manual',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrongKey.status).toBe(303);

    const page = await fetch(`${api.url}/console/tenants`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await page.text();
    expect(body).toContain(api.bootstrap!.tenantId); // the demo tenant is listed
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('signs in with the admin key and keeps the session in an HttpOnly cookie that is not the key', async () => {
    const origin = api.url;
    const signIn = await fetch(`${api.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ key: ADMIN }),
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(ADMIN);
    const jobs = await fetch(`${api.url}/console/jobs`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(jobs.status).toBe(200);
  });
});
