/**
 * Operations in the console, in Chromium on the real stores: pausing and resuming a queue
 * (its task waits, then runs), redriving and discarding dead letters (the job completes; the
 * discarded letter's task stays failed; a refused redrive is a notice), and pausing, resuming and removing a schedule.
 * Each step is checked on the page and through the engine's services.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type ConsoleFixture, consoleFixture, screenshot } from './support.js';

const TENANT = 'ops-acme';
const WORK = 'ops-work';
const POISON = 'ops-poison';
const MAX_DELIVERIES = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let f: ConsoleFixture;
let page: Page;

const submitTo = async (queue: string) =>
  (await f.dalston.jobs.submit({ tenantId: TENANT, parameters: { queue } }))._unsafeUnwrap().id;
const statusOf = async (jobId: string) => (await f.dalston.jobs.get(TENANT, jobId))._unsafeUnwrap();
const statsOf = async (queue: string) =>
  (await f.dalston.queues.stats())._unsafeUnwrap().find((q) => q.queue === queue);

/** Has `n` jobs' messages dead-lettered the way the engine contract does: every delivery "crashes" (its lease expires). */
async function poisonJobs(n: number): Promise<string[]> {
  const before = (await statsOf(POISON))?.dead ?? 0;
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await submitTo(POISON));
  for (let round = 0; round < MAX_DELIVERIES; round++) {
    for (let i = 0; i < n; i++) {
      await expect
        .poll(
          async () => (await f.adapters.workQueue.lease([POISON], { leaseMs: 100, waitMs: 0 })) !== null,
          {
            timeout: 10_000,
            interval: 50,
          },
        )
        .toBe(true);
    }
    await sleep(150);
  }
  await expect
    .poll(
      async () => {
        await f.adapters.workQueue.lease([POISON], { leaseMs: 100, waitMs: 0 });
        return (await f.adapters.workQueue.stats(POISON)).dead;
      },
      { timeout: 10_000, interval: 100 },
    )
    .toBe(before + n);
  return ids;
}

beforeAll(async () => {
  f = await consoleFixture({
    pipeline: { build: (p: { queue: string }) => [{ stage: 'work', queue: p.queue }] },
    // The poison queue is known to the engine but has no worker until its letters exist.
    config: { maxDeliveries: MAX_DELIVERIES, queuePollMs: 100, queues: [WORK, POISON] },
  });
  (await f.dalston.tenants.create({ id: TENANT, name: 'Operations' }))._unsafeUnwrap();
  f.dalston.createWorker({ queues: [WORK], concurrency: 2, waitMs: 50, handler: async () => ({ ok: true }) });
  const context = await f.browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  await page.goto(`${f.url}/login`);
  await page.getByLabel('Admin key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Jobs' }).waitFor();
}, 120_000);

afterAll(async () => {
  await f?.close();
});

describe('console operations in Chromium (real stores)', () => {
  it('pauses a queue (its task waits) and resumes it (the job completes)', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Queues' }).waitFor();
    await page.getByRole('button', { name: `Pause ${WORK}` }).click();
    await page.getByText('Queue paused.').waitFor();
    expect(await page.locator(`tr[data-queue="${WORK}"] [data-state]`).textContent()).toBe('paused');
    expect((await statsOf(WORK))?.paused).toBe(true);

    const jobId = await submitTo(WORK);
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      const job = await statusOf(jobId);
      expect(job.status).toBe('pending');
      expect(job.tasks[0]?.status).toBe('ready');
      await sleep(150);
    }
    await page.reload();
    expect(await page.locator(`tr[data-queue="${WORK}"]`).textContent()).toContain('1');
    await screenshot(page, 'queues');

    await page.getByRole('button', { name: `Resume ${WORK}` }).click();
    await page.getByText('Queue resumed.').waitFor();
    expect(await page.locator(`tr[data-queue="${WORK}"] [data-state]`).textContent()).toBe('active');
    await expect.poll(async () => (await statusOf(jobId)).status, { timeout: 20_000 }).toBe('completed');
    expect((await statsOf(WORK))?.paused).toBe(false);
  });

  it('redrives a dead letter (the job completes) and discards another', { timeout: 90_000 }, async () => {
    const [redriven, discarded] = await poisonJobs(2);
    await page.goto(`${f.url}/queues`);
    await page.getByRole('link', { name: `2 dead letters in ${POISON}` }).click();
    await page.getByRole('heading', { name: `Dead letters of ${POISON}` }).waitFor();
    const letters = (await f.dalston.deadLetters.list(POISON))._unsafeUnwrap().items;
    const letterOf = (jobId: string | undefined) => letters.find((l) => l.jobId === jobId)!;
    const row = (id: string) => page.locator(`tr[data-letter-id="${id}"]`);
    for (const jobId of [redriven, discarded]) {
      const text = await row(letterOf(jobId).id).textContent();
      expect(text).toContain(`max deliveries (${MAX_DELIVERIES}) exceeded`);
      expect(text).toContain('work');
      await row(letterOf(jobId).id).getByRole('link', { name: jobId }).waitFor();
    }
    await screenshot(page, 'dead-letters');

    // The handler now succeeds.
    f.dalston.createWorker({ queues: [POISON], waitMs: 50, handler: async () => 'fixed' });
    await page.getByRole('button', { name: `Redrive ${letterOf(redriven).id}` }).click();
    await page.getByText('Dead letters redriven.').waitFor();
    await expect.poll(async () => (await statusOf(redriven!)).status, { timeout: 20_000 }).toBe('completed');

    await page.getByRole('button', { name: `Discard ${letterOf(discarded).id}` }).click();
    await page.getByText('Dead letters discarded.').waitFor();
    await page.getByText(`No dead letters in ${POISON}.`).waitFor();
    expect((await f.dalston.deadLetters.list(POISON))._unsafeUnwrap().items).toEqual([]);
    await expect.poll(async () => (await statusOf(discarded!)).status, { timeout: 20_000 }).toBe('failed');
    expect((await statsOf(POISON))?.dead).toBe(0);
  });

  it('shows a refused redrive as a notice, not an error page', { timeout: 60_000 }, async () => {
    // The worker on the poison queue stays off while the letter is made.
    (await f.dalston.queues.pause(POISON))._unsafeUnwrap();
    const [jobId] = await poisonJobs(1);
    (await f.dalston.jobs.cancel(TENANT, jobId!, 'gone'))._unsafeUnwrap();
    await expect.poll(async () => (await statusOf(jobId!)).status, { timeout: 20_000 }).toBe('cancelled');
    const [letter] = (await f.dalston.deadLetters.list(POISON))._unsafeUnwrap().items;

    await page.goto(`${f.url}/dead-letters?queue=${POISON}`);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: `Redrive ${letter!.id}` }).click(),
    ]);
    expect(answer.status()).toBe(409);
    await page.getByText(/^Not redriven: /).waitFor();
    await page.getByRole('button', { name: 'Redrive all' }).click();
    await page
      .getByText(`0 redriven, 1 skipped: ${letter!.id} (INVALID_TRANSITION`, { exact: false })
      .waitFor();
    expect((await statsOf(POISON))?.dead).toBe(1);

    await page.getByRole('button', { name: 'Discard all' }).click();
    await page.getByText('Dead letters discarded.').waitFor();
    expect((await statsOf(POISON))?.dead).toBe(0);
    (await f.dalston.queues.resume(POISON))._unsafeUnwrap();
  });

  it('shows a schedule and pauses, resumes and removes it', { timeout: 60_000 }, async () => {
    const id = 'ops-nightly';
    const upserted = await f.dalston.schedules.upsert({
      id,
      tenantId: TENANT,
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      parameters: { queue: WORK },
    });
    expect(upserted.isErr() ? upserted.error : null).toBeNull();
    await page.getByRole('link', { name: 'Schedules' }).click();
    const row = page.locator(`tr[data-schedule-id="${id}"]`);
    const text = await row.textContent();
    expect(text).toContain('0 3 * * *');
    expect(text).toContain('Europe/Berlin');
    expect(text).toContain(TENANT);
    expect(await row.locator('[data-state]').textContent()).toBe('active');
    await screenshot(page, 'schedules');

    await row.getByRole('button', { name: `Pause ${id}` }).click();
    await page.getByText('Schedule paused.').waitFor();
    await page.getByRole('heading', { name: `Schedule ${id}` }).waitFor();
    await page.getByText('No ticks yet.').waitFor();
    expect((await f.dalston.schedules.get(id))._unsafeUnwrap().paused).toBe(true);
    await page.getByRole('button', { name: `Resume ${id}` }).click();
    await page.getByText('Schedule resumed.').waitFor();
    expect((await f.dalston.schedules.get(id))._unsafeUnwrap().paused).toBe(false);

    await page.getByRole('button', { name: `Remove ${id}` }).click();
    await page.getByText('Schedule removed.').waitFor();
    expect(await page.locator(`tr[data-schedule-id="${id}"]`).count()).toBe(0);
    expect((await f.dalston.schedules.get(id)).isErr()).toBe(true);
  });
});
