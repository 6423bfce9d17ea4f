/**
 * A retried idempotent submit gets its job back even when the tenant is at its
 * concurrent-job limit (admission refuses a slot before createJob sees the key), and even
 * when a fail-closed rate-limit store is down. Only refused submits look the key up.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';
import { breakable, harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

/** Counts calls of the JobStore's key lookup. */
function countingLookups(calls: { lookups: number }) {
  return (a: DalstonAdapters): DalstonAdapters => ({
    ...a,
    jobStore: new Proxy(a.jobStore, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'getJobByIdempotencyKey' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.lookups++;
          return value.apply(target, args);
        };
      },
    }),
  });
}

describe('jobs.submit: idempotent retries at the concurrent-job limit', () => {
  it('returns the running job for its key instead of RATE_LIMITED; other submits are still limited', async () => {
    const calls = { lookups: 0 };
    const h = await harness({
      pipeline: one,
      tenantLimits: { concurrentJobs: 1 },
      wrap: countingLookups(calls),
    });
    let finish: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const worker = h.dalston.createWorker({ queues: ['q'], handler: () => held.then(() => null) });
    const submit = (idempotencyKey?: string) =>
      h.dalston.jobs.submit({
        tenantId: h.tenantId,
        input: { name: 'audio.raw', body: 'bytes' },
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });

    const first = (await submit('K'))._unsafeUnwrap();
    expect(calls.lookups).toBe(0); // a submit that gets a slot never looks the key up
    await until(async () => {
      await h.advance(10); // a folded start is written once the handler outlives startWriteDelayMs
      return (await h.dalston.jobs.get(h.tenantId, first.id))._unsafeUnwrap().status === 'running';
    });

    const retry = (await submit('K'))._unsafeUnwrap();
    expect(retry.id).toBe(first.id);
    expect(retry.status).toBe('running');
    expect(calls.lookups).toBe(1);

    for (const other of [await submit('K2'), await submit()]) {
      expect(other._unsafeUnwrapErr()).toMatchObject({ code: 'RATE_LIMITED' });
    }
    const jobs = (await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap().jobs;
    expect(jobs.map((j) => j.id)).toEqual([first.id]);
    expect(await h.adapters.rateLimitStore.holders(`tenant:${h.tenantId}:jobs`)).toEqual([first.id]);
    // The refused submits wrote no input blob: only the first job's input is stored.
    const blobs = (await h.adapters.artifactStore.list(`tenants/${h.tenantId}/`)).items;
    expect(blobs.map((b) => b.key)).toEqual([expect.stringContaining(`/jobs/${first.id}/input/`)]);

    finish();
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, first.id))._unsafeUnwrap().status === 'completed',
    );
    // Below the limit again, the key still returns the (now finished) job through createJob.
    await until(
      async () => (await h.adapters.rateLimitStore.holders(`tenant:${h.tenantId}:jobs`)).length === 0,
    );
    const later = (await submit('K'))._unsafeUnwrap();
    expect(later).toMatchObject({ id: first.id, status: 'completed' });
    await worker.close();
    await h.dalston.close();
  });

  it('fail-closed rate-limit store down: a known key still returns its job, an unknown key is refused', async () => {
    const limits = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      pipeline: one,
      config: { rateLimitFailure: { default: 'fail-closed' } },
      wrap: (a) => {
        limits.current = breakable(a.rateLimitStore, 'rateLimitStore');
        return { ...a, rateLimitStore: limits.current.port as typeof a.rateLimitStore };
      },
    });
    const first = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, idempotencyKey: 'K' })
    )._unsafeUnwrap();
    limits.current!.switch.down = true;
    const retry = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, idempotencyKey: 'K' })
    )._unsafeUnwrap();
    expect(retry.id).toBe(first.id);
    const other = await h.dalston.jobs.submit({ tenantId: h.tenantId, idempotencyKey: 'K2' });
    expect(other._unsafeUnwrapErr()).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'rateLimitStore' });
    const jobs = (await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap().jobs;
    expect(jobs.map((j) => j.id)).toEqual([first.id]);
    await h.dalston.close();
  });

  it('when the key lookup fails too, the original refusal stands', async () => {
    const jobStore = { current: null as ReturnType<typeof breakable> | null };
    const h = await harness({
      pipeline: one,
      tenantLimits: { concurrentJobs: 1 },
      wrap: (a) => {
        jobStore.current = breakable(a.jobStore, 'jobStore');
        return { ...a, jobStore: jobStore.current.port as typeof a.jobStore };
      },
    });
    (await h.dalston.jobs.submit({ tenantId: h.tenantId, idempotencyKey: 'K' }))._unsafeUnwrap();
    jobStore.current!.switch.down = true;
    const retry = await h.dalston.jobs.submit({ tenantId: h.tenantId, idempotencyKey: 'K' });
    expect(retry._unsafeUnwrapErr()).toMatchObject({ code: 'RATE_LIMITED' });
    jobStore.current!.switch.down = false;
    await h.dalston.close();
  });
});
