/**
 * A submit whose createJob failed with STORE_UNAVAILABLE: when the adapter says the write
 * never reached the store, the input blob and the slot are given back at once; when it
 * says the outcome is unknown (`withOutcomeUnknown`: the connection was lost after the
 * write was sent, e.g. a COMMIT whose answer never came), the job may exist, so both stay.
 * Here the write did commit: the job, whose input is still there, finishes after
 * reconcile enqueues it; the resync keeps its slot while it runs.
 */
import { isOutcomeUnknown, storeUnavailable, withOutcomeUnknown } from '@dalston/core/adapter';
import { describe, expect, it } from 'vitest';
import { jobSlotKey } from '../../src/services/transitions/keys.js';
import { harness, until } from './harness.js';

const INPUT = { name: 'in.txt', body: 'the input' };

async function setup(mode: 'committed-unknown' | 'not-sent') {
  const h = await harness({
    pipeline: { build: () => [{ stage: 'read', queue: 'q' }] },
    wrap: (a) => ({
      ...a,
      jobStore: Object.assign(Object.create(a.jobStore), {
        createJob: async (...args: Parameters<typeof a.jobStore.createJob>) => {
          const lost = storeUnavailable('jobStore', 'createJob', new Error('Connection terminated'));
          if (mode === 'not-sent') throw lost;
          await a.jobStore.createJob(...args);
          throw withOutcomeUnknown(lost);
        },
      }),
    }),
  });
  const objects = async () => (await h.adapters.artifactStore.list(`tenants/${h.tenantId}/`)).items.length;
  const holders = () => h.adapters.rateLimitStore.holders(jobSlotKey(h.tenantId));
  return { h, objects, holders };
}

describe('submit: createJob fails with STORE_UNAVAILABLE', () => {
  it('withOutcomeUnknown marks only STORE_UNAVAILABLE and keeps the error as it was', () => {
    const e = storeUnavailable('jobStore', 'createJob', new Error('x'));
    const marked = withOutcomeUnknown(e);
    expect(isOutcomeUnknown(e)).toBe(false);
    expect(isOutcomeUnknown(marked)).toBe(true);
    expect(marked).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'jobStore', operation: 'createJob' });
    expect(marked.message).toBe(e.message);
    expect(marked.toJSON()).toMatchObject({ details: { outcomeUnknown: true } });
    expect(withOutcomeUnknown(marked)).toBe(marked);
  });

  it('nothing was sent: the input and the slot are given back at once', async () => {
    const { h, objects, holders } = await setup('not-sent');
    const r = await h.dalston.jobs.submit({ tenantId: h.tenantId, input: INPUT });
    expect(r._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
    expect(await objects()).toBe(0);
    expect(await holders()).toEqual([]);
  });

  it('the outcome is unknown (here: it committed): input and slot kept; the job finishes after reconcile', async () => {
    const { h, objects, holders } = await setup('committed-unknown');
    const r = await h.dalston.jobs.submit({ tenantId: h.tenantId, input: INPUT });
    expect(r._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');
    expect(isOutcomeUnknown(r._unsafeUnwrapErr())).toBe(true);
    const { jobs } = (await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap();
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(await objects()).toBe(1);
    expect(await holders()).toEqual([job.id]);

    let read = '';
    h.dalston.createWorker({
      queues: ['q'],
      concurrency: 1,
      waitMs: 10,
      handler: async (ctx) => {
        read = new TextDecoder().decode(await readAll(await ctx.artifacts.get(ctx.artifacts.inputUri!)));
        return { ok: true };
      },
    });
    const pass = (await h.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(pass.requeued).toBe(1);
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status === 'completed',
    );
    expect(read).toBe(INPUT.body);
    expect(await holders()).toEqual([]);
    await h.dalston.close({ deadlineMs: 100 });
  });
});

async function readAll(body: AsyncIterable<Uint8Array> | Uint8Array): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const parts: Uint8Array[] = [];
  for await (const p of body) parts.push(p);
  return Buffer.concat(parts);
}
