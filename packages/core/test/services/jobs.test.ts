import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TaskFailure } from '../../src/services/workers/task-failure.js';
import { harness, until } from './harness.js';

describe('jobs.submit validation', () => {
  it('names the offending field and leaves nothing behind', async () => {
    const h = await harness({
      pipeline: {
        parameters: z.object({ lang: z.enum(['en', 'de']) }),
        build: () => [{ stage: 'a', queue: 'q' }],
      },
    });
    const bad = await h.dalston.jobs.submit({ tenantId: h.tenantId, parameters: { lang: 'xx' } });
    expect(bad._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'parameters.lang' });
    const noTenant = await h.dalston.jobs.submit({ tenantId: '' } as never);
    expect(noTenant._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'tenantId' });
    const badName = await h.dalston.jobs.submit({
      tenantId: h.tenantId,
      parameters: { lang: 'en' },
      input: { name: '../etc/passwd', body: 'x' },
    });
    expect(badName._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.name' });
    expect(await h.adapters.rateLimitStore.holders(`tenant:${h.tenantId}:jobs`)).toEqual([]);
    expect((await h.adapters.artifactStore.list('tenants/')).items).toEqual([]);
    expect((await h.dalston.jobs.list({ tenantId: h.tenantId }))._unsafeUnwrap().jobs).toEqual([]);
  });

  it('refuses an invalid pipeline, unknown and disabled tenants', async () => {
    const h = await harness({
      pipeline: {
        build: () => [
          { stage: 'a', queue: 'q' },
          { stage: 'b', queue: 'q', dependsOn: ['zz'] },
        ],
      },
    });
    const r = await h.dalston.jobs.submit({ tenantId: h.tenantId });
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'pipeline[1].dependsOn' });
    expect((await h.dalston.jobs.submit({ tenantId: 'nobody' }))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    await h.dalston.tenants.disable(h.tenantId);
    expect((await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrapErr().code).toBe('FORBIDDEN');
  });

  it('a pipeline that throws is a VALIDATION_FAILED on parameters', async () => {
    const h = await harness({
      pipeline: {
        build: () => {
          throw new Error('unsupported model');
        },
      },
    });
    const r = await h.dalston.jobs.submit({ tenantId: h.tenantId });
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'parameters' });
  });
});

describe('jobs commands', () => {
  it('retries a failed job; a completed job cannot be retried; a live job cannot be deleted', async () => {
    const h = await harness({ pipeline: { build: () => [{ stage: 'a', queue: 'q' }] } });
    let fail = true;
    h.dalston.createWorker({
      queues: ['q'],
      handler: () => {
        if (fail) throw new TaskFailure('nope', { retryable: false });
        return 'ok';
      },
    });
    const job = (
      await h.dalston.jobs.submit({
        tenantId: h.tenantId,
        input: { name: 'in.bin', body: new Uint8Array([1]) },
      })
    )._unsafeUnwrap();
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status === 'failed',
    );
    expect((await h.dalston.jobs.retry(h.tenantId, 'job_missing'))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    fail = false;
    const retried = (await h.dalston.jobs.retry(h.tenantId, job.id))._unsafeUnwrap();
    expect(['pending', 'running', 'completed']).toContain(retried.status);
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status === 'completed',
    );
    expect((await h.dalston.jobs.retry(h.tenantId, job.id))._unsafeUnwrapErr().code).toBe(
      'INVALID_TRANSITION',
    );

    const other = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    const deletable = await h.dalston.jobs.delete(h.tenantId, other.id);
    if (deletable.isErr()) expect(deletable.error.code).toBe('INVALID_TRANSITION');
    await h.dalston.close();
  });

  it('delete removes the objects and the rows of a terminal job', async () => {
    const h = await harness({ pipeline: { build: () => [{ stage: 'a', queue: 'q' }] } });
    const job = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, input: { name: 'in.txt', body: 'x' } })
    )._unsafeUnwrap();
    await h.dalston.jobs.cancel(h.tenantId, job.id);
    expect((await h.dalston.jobs.delete(h.tenantId, job.id)).isOk()).toBe(true);
    expect((await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect((await h.adapters.artifactStore.list(`tenants/${h.tenantId}/`)).items).toEqual([]);
  });

  it('lists by status, newest first, with keyset pages', async () => {
    const h = await harness({ pipeline: { build: () => [{ stage: 'a', queue: 'q' }] } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap().id);
      await h.advance(1);
    }
    await h.dalston.jobs.cancel(h.tenantId, ids[0]!);
    const first = (
      await h.dalston.jobs.list({ tenantId: h.tenantId, status: 'pending', limit: 2 })
    )._unsafeUnwrap();
    const second = (
      await h.dalston.jobs.list({
        tenantId: h.tenantId,
        status: 'pending',
        limit: 2,
        cursor: first.nextCursor,
      })
    )._unsafeUnwrap();
    expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual([ids[4], ids[3], ids[2], ids[1]]);
    expect((await h.dalston.jobs.list({ tenantId: h.tenantId, limit: 0 }))._unsafeUnwrapErr().field).toBe(
      'limit',
    );
  });
});
