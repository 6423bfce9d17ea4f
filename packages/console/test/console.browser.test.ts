/**
 * The console as a person uses it, in Chromium, on the real stores: sign in, create a tenant
 * and an API key (the secret shown once), revoke it, submit jobs and watch a DAG turn green
 * live, cancel and retry. Screenshots go to docs/images when DALSTON_UPDATE_SCREENSHOTS=1
 * (otherwise to a temporary folder, still taken and checked).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type ConsoleFixture, consoleFixture, screenshot } from './support.js';

let gate: () => void = () => {};
let gateOpen = new Promise<void>((r) => {
  gate = r;
});

const pipeline = {
  build: (p: { fail?: boolean }) => [
    { stage: 'prepare', queue: 'console-a' },
    { stage: 'transcribe', queue: 'console-a', dependsOn: ['prepare'] },
    { stage: 'diarize', queue: 'console-a', dependsOn: ['prepare'], required: false },
    {
      stage: 'merge',
      queue: 'console-a',
      dependsOn: ['transcribe', 'diarize'],
      maxAttempts: 1,
      input: { fail: p.fail === true },
    },
  ],
};

let f: ConsoleFixture;
let page: Page;

beforeAll(async () => {
  f = await consoleFixture({ pipeline });
  f.dalston.createWorker({
    queues: ['console-a'],
    concurrency: 4,
    handler: async (ctx) => {
      if (ctx.task.stage === 'transcribe') await gateOpen;
      if ((ctx.task.input as { fail?: boolean } | null)?.fail)
        throw new Error('merge refused: asked to fail');
      return { stage: ctx.task.stage, words: 42 };
    },
  });
  const context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  gate();
  await f?.close();
});

describe('console in Chromium (real stores)', () => {
  it('refuses without the admin key and signs in with it', async () => {
    const anonymous = await fetch(`${f.url}/jobs`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/console/login');
    const forged = await fetch(`${f.url}/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Evil',
    });
    expect(forged.status).toBe(403); // no Origin from the console itself

    await page.goto(`${f.url}/`);
    await expect.poll(() => page.url()).toBe(`${f.url}/login`);
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That key is not the admin key.').waitFor();
    await page.getByLabel('Admin key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  });

  it('creates a tenant, creates an API key shown once, and revokes it', async () => {
    await page.getByRole('link', { name: 'Tenants' }).click();
    await page.getByLabel('Id (optional)').fill('console-acme');
    await page.getByLabel('Name').fill('Acme <script>alert(1)</script>');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await page.getByRole('heading', { name: 'Tenant console-acme' }).waitFor();
    await page.getByText('Tenant created.').waitFor();
    // The name is text, not markup.
    await page.getByText('Acme <script>alert(1)</script>').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('ci');
    await page.getByLabel('jobs:read').check();
    await page.getByLabel('jobs:write').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^dk_/);
    expect((await f.dalston.apiKeys.verify(secret)).isOk()).toBe(true);
    await screenshot(page, 'tenant-key');

    await page.goto(`${f.url}/tenants/console-acme`);
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('button', { name: 'Revoke ci' }).click();
    await page.getByText('API key revoked.').waitFor();
    await expect.poll(() => page.locator('tr', { hasText: 'ci' }).textContent()).toContain('revoked');
    expect((await f.dalston.apiKeys.verify(secret)).isErr()).toBe(true);
  });

  it('shows a job DAG turning green live, without a reload', { timeout: 90_000 }, async () => {
    const job = (await f.dalston.jobs.submit({ tenantId: 'console-acme', parameters: {} }))._unsafeUnwrap();
    await page.goto(`${f.url}/jobs/console-acme/${job.id}`);
    const node = (stage: string) => page.locator(`svg.dag g.node[data-stage="${stage}"]`);
    await expect
      .poll(() => node('transcribe').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('running');
    await expect.poll(() => node('prepare').getAttribute('data-status')).toBe('completed');
    expect(await node('merge').getAttribute('data-status')).toBe('pending');
    await expect.poll(() => page.locator('.live').textContent()).toBe('live');
    await screenshot(page, 'job-running');
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));

    gate();
    await expect.poll(() => node('merge').getAttribute('data-status'), { timeout: 20_000 }).toBe('completed');
    await expect.poll(() => page.locator('[data-job-status]').textContent()).toBe('completed');
    expect(await node('merge').getAttribute('aria-label')).toBe('merge: completed');
    expect(loads).toEqual([]); // painted from the event stream, not a reload
    await screenshot(page, 'job-completed');

    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Tenant').selectOption('console-acme');
    await page.getByLabel('Status').selectOption('completed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('link', { name: job.id }).waitFor();
    await screenshot(page, 'jobs');
  });

  it('retries a failed job and cancels a running one from the job page', { timeout: 90_000 }, async () => {
    const failed = (
      await f.dalston.jobs.submit({ tenantId: 'console-acme', parameters: { fail: true } })
    )._unsafeUnwrap();
    await page.goto(`${f.url}/jobs/console-acme/${failed.id}`);
    await expect
      .poll(() => page.locator('[data-job-status]').textContent(), { timeout: 20_000 })
      .toBe('failed');
    await page.reload();
    await page.getByText('merge refused: asked to fail').first().waitFor();
    await page.getByRole('button', { name: 'Retry job' }).click();
    await page.getByText('Retry started.').waitFor();
    await expect
      .poll(async () => (await f.dalston.jobs.get('console-acme', failed.id))._unsafeUnwrap().status, {
        timeout: 20_000,
      })
      .toBe('failed'); // it fails again (the input still says so), after a new attempt
    const events = (
      await f.dalston.jobs.readEvents('console-acme', failed.id, { limit: 1000 })
    )._unsafeUnwrap();
    expect(events.filter((e) => e.type === 'job.retrying')).toHaveLength(1);

    gateOpen = new Promise<void>((r) => {
      gate = r;
    });
    const running = (
      await f.dalston.jobs.submit({ tenantId: 'console-acme', parameters: {} })
    )._unsafeUnwrap();
    await page.goto(`${f.url}/jobs/console-acme/${running.id}`);
    await expect
      .poll(() => page.locator('svg.dag g.node[data-stage="transcribe"]').getAttribute('data-status'), {
        timeout: 15_000,
      })
      .toBe('running');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByText('Cancel requested.').waitFor();
    gate();
    await expect
      .poll(() => page.locator('[data-job-status]').textContent(), { timeout: 20_000 })
      .toBe('cancelled');
  });

  it('lists live and archived sessions and opens an ended one from the archive', async () => {
    (await f.dalston.tenants.create({ id: 'console-sessions', name: 'Sessions' }))._unsafeUnwrap();
    const s = (
      await f.dalston.sessions.start({ tenantId: 'console-sessions', fields: { language: 'en' } })
    )._unsafeUnwrap();
    await page.goto(`${f.url}/sessions?tenant=console-sessions`);
    const live = page.locator('table').nth(0);
    const archive = page.locator('table').nth(1);
    expect(await archive.textContent()).toContain(`${s.id}active`); // its record is open too
    await live.getByRole('link', { name: s.id }).click();
    await page.getByRole('heading', { name: `Session ${s.id}` }).waitFor();
    expect(await page.locator('dl.fields').textContent()).toContain('"language":"en"');
    (await f.dalston.sessions.end('console-sessions', s.id, { status: 'completed' }))._unsafeUnwrap();
    await page.goto(`${f.url}/sessions?tenant=console-sessions`);
    expect(await live.getByRole('link', { name: s.id }).count()).toBe(0);
    expect(await archive.textContent()).toContain(`${s.id}completed`);
    const listed = (await f.dalston.sessions.listArchived('console-sessions'))._unsafeUnwrap();
    expect(listed.sessions.map((r) => [r.id, r.status])).toEqual([[s.id, 'completed']]);
    await page.getByLabel('Session id').fill(s.id);
    await page.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => page.locator('dl.fields').textContent()).toContain('not live');
    expect(await page.locator('dl.fields').textContent()).toContain('completed');
  });

  it('answers an unknown job with a 404 page and hostile query values with escaped text', async () => {
    const res = await page.goto(`${f.url}/jobs/console-acme/job_nope`);
    expect(res?.status()).toBe(404);
    await page.getByText(/NOT_FOUND/).waitFor();
    const hostile = await page.goto(`${f.url}/jobs?tenant=console-acme&type=%3Cimg%20src%3Dx%3E`);
    expect(hostile?.status()).toBeLessThan(500);
    expect(await page.locator('img').count()).toBe(0);
  });
});
