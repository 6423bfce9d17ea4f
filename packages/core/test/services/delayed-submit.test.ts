/**
 * Delayed submit on the memory set with a manual clock: `runAt` / `delayMs` keep the job
 * pending (its first tasks `ready` with `notBefore`) until then, with a worker running the
 * whole time; a cancel before then ends it without running anything; the job holds its
 * concurrent-job slot from submit (the documented policy).
 */
import { describe, expect, it } from 'vitest';
import { harness, until } from './harness.js';

const single = { build: () => [{ stage: 'only', queue: 'q' }] };

async function setup(tenantLimits?: Record<string, unknown>) {
  const h = await harness({ pipeline: single, ...(tenantLimits ? { tenantLimits } : {}) });
  const started: number[] = [];
  const worker = h.dalston.createWorker({
    queues: ['q'],
    concurrency: 2,
    handler: async () => {
      started.push(h.clock.now());
      return { ok: true };
    },
  });
  const status = async (id: string) => (await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().status;
  return { ...h, worker, started, status };
}

describe('jobs.submit with runAt / delayMs', () => {
  it('refuses both at once, and bad values, naming the field', async () => {
    const h = await setup();
    const field = async (input: object) =>
      (await h.dalston.jobs.submit({ tenantId: h.tenantId, ...input }))._unsafeUnwrapErr().field;
    expect(await field({ runAt: h.clock.now() + 1000, delayMs: 1000 })).toBe('runAt');
    expect(await field({ delayMs: -1 })).toBe('delayMs');
    expect(await field({ delayMs: 1.5 })).toBe('delayMs');
    expect(await field({ runAt: 'tomorrow' })).toBe('runAt');
    expect(await field({ runAt: new Date(Number.NaN) })).toBe('runAt');
    expect((await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap().jobs).toEqual([]);
    await h.worker.close();
    await h.dalston.close();
  });

  it('keeps the job pending until delayMs has passed, then runs it', async () => {
    const h = await setup();
    const t0 = h.clock.now();
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId, delayMs: 60_000 }))._unsafeUnwrap();
    const snapshot = await h.adapters.jobStore.getSnapshot(h.tenantId, job.id);
    expect(snapshot?.tasks.map((t) => [t.status, t.notBefore])).toEqual([['ready', t0 + 60_000]]);
    for (let i = 0; i < 59; i++) await h.advance(1000);
    expect(h.started).toEqual([]);
    expect(await h.status(job.id)).toBe('pending');
    await h.advance(1000);
    await until(async () => (await h.status(job.id)) === 'completed');
    expect(h.started[0]).toBeGreaterThanOrEqual(t0 + 60_000);
    await h.worker.close();
    await h.dalston.close();
  });

  it('runAt as a Date or epoch ms; a time in the past runs at once', async () => {
    const h = await setup();
    const t0 = h.clock.now();
    const later = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, runAt: new Date(t0 + 5000) })
    )._unsafeUnwrap();
    const past = (await h.dalston.jobs.submit({ tenantId: h.tenantId, runAt: t0 - 5000 }))._unsafeUnwrap();
    await until(async () => (await h.status(past.id)) === 'completed');
    expect(await h.status(later.id)).toBe('pending');
    for (let i = 0; i < 5; i++) await h.advance(1000);
    await until(async () => (await h.status(later.id)) === 'completed');
    expect(h.started).toEqual([t0, t0 + 5000]);
    await h.worker.close();
    await h.dalston.close();
  });

  it('a cancel before runAt cancels it and nothing ever runs', async () => {
    const h = await setup();
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId, delayMs: 10_000 }))._unsafeUnwrap();
    (await h.dalston.jobs.cancel(h.tenantId, job.id))._unsafeUnwrap();
    await until(async () => (await h.status(job.id)) === 'cancelled');
    for (let i = 0; i < 15; i++) await h.advance(1000);
    expect(h.started).toEqual([]);
    expect(await h.status(job.id)).toBe('cancelled');
    await h.worker.close();
    await h.dalston.close();
  });

  it('holds its concurrent-job slot from submit (documented policy)', async () => {
    const h = await setup({ concurrentJobs: 1 });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId, delayMs: 3_600_000 }))._unsafeUnwrap();
    const second = await h.dalston.jobs.submit({ tenantId: h.tenantId });
    expect(second._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
    (await h.dalston.jobs.cancel(h.tenantId, job.id))._unsafeUnwrap();
    await until(async () => (await h.dalston.jobs.submit({ tenantId: h.tenantId })).isOk());
    await h.worker.close();
    await h.dalston.close();
  });
});
