/** Job reads, list and pagination, cancel, delete, result states, readiness (memory mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { bytes, client, json, makeTenant, problemOf, startMemoryApi, waitForJob } from './helpers.js';

let api: RunningApi;
let c: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startMemoryApi(80);
  c = client(api.url, api.bootstrap!.adminKey);
});
afterAll(() => api.close());

describe('job lifecycle', () => {
  it('cancels a running job; the result is then a conflict; delete removes it', async () => {
    const job = await json(c.upload(bytes(1000)));
    const early = await c.get(`/v1/jobs/${job.id}/result`);
    expect(await problemOf(early)).toMatchObject({ status: 409, code: 'CONFLICT' });
    const notYet = await c.del(`/v1/jobs/${job.id}`);
    expect(await problemOf(notYet)).toMatchObject({ status: 409, code: 'INVALID_TRANSITION' });

    const cancel = await c.post(`/v1/jobs/${job.id}/cancel`);
    expect([200, 202]).toContain(cancel.status);
    expect(['cancelling', 'cancelled']).toContain((await json(cancel)).status);
    expect((await waitForJob(c, job.id)).status).toBe('cancelled');
    expect((await problemOf(await c.get(`/v1/jobs/${job.id}/result`))).status).toBe(409);
    // Cancelling a terminal job returns it unchanged.
    const again = await c.post(`/v1/jobs/${job.id}/cancel`);
    expect(again.status).toBe(200);
    expect((await json(again)).status).toBe('cancelled');

    expect((await c.del(`/v1/jobs/${job.id}`)).status).toBe(204);
    expect((await c.get(`/v1/jobs/${job.id}`)).status).toBe(404);
    const objects = await api.engine.artifactStore.list(`tenants/demo/jobs/${job.id}/`);
    expect(objects.items).toEqual([]);
  });

  it('serves a completed job and its result, then deletes it with its artifacts', async () => {
    const job = await json(c.upload(bytes(3000), { parameters: { language: 'fr', diarize: true } }));
    const done = await waitForJob(c, job.id);
    expect(done).toMatchObject({ status: 'completed', error: null });
    expect(typeof done.finishedAt).toBe('string');
    const details = await json(c.get(`/v1/jobs/${job.id}`));
    expect(details.tasks.map((t: { stage: string; status: string }) => [t.stage, t.status])).toEqual([
      ['prepare', 'completed'],
      ['transcribe', 'completed'],
      ['diarize', 'completed'],
      ['merge', 'completed'],
    ]);
    expect(details.tasks[3]).toMatchObject({
      dependsOn: ['transcribe', 'diarize'],
      hasOutput: true,
      attempt: 1,
    });
    expect(typeof details.tasks[0].finishedAt).toBe('string');
    expect(JSON.stringify(details)).not.toContain('memory://');
    expect(details.edges).toEqual([
      { from: 'prepare', to: 'transcribe' },
      { from: 'prepare', to: 'diarize' },
      { from: 'transcribe', to: 'merge' },
      { from: 'diarize', to: 'merge' },
    ]);
    const result = await c.get(`/v1/jobs/${job.id}/result?redirect=false`);
    expect(result.status).toBe(200);
    expect(Number(result.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await json(result)).language).toBe('fr');
    expect((await c.del(`/v1/jobs/${job.id}`)).status).toBe(204);
    expect((await problemOf(await c.get(`/v1/jobs/${job.id}/result`))).status).toBe(404);
  });

  it('lists jobs newest first with a cursor and a status filter', async () => {
    const key = await makeTenant(api, 'lister');
    const lc = client(api.url, key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await json(lc.upload(bytes(10 + i)))).id);
    const page1 = await json(lc.get('/v1/jobs?limit=2'));
    expect(page1.items.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await json(lc.get(`/v1/jobs?limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`));
    expect(page2.items.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();

    for (const id of ids) await waitForJob(lc, id);
    const completed = await json(lc.get('/v1/jobs?status=completed,failed'));
    expect(completed.items).toHaveLength(3);
    expect((await json(lc.get('/v1/jobs?status=pending'))).items).toEqual([]);
    for (const q of ['status=bogus', 'limit=0', 'limit=1000', 'limit=x', 'colour=red']) {
      expect(await problemOf(await lc.get(`/v1/jobs?${q}`))).toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });
});

describe('readiness', () => {
  it('answers 503 from /readyz when a store is down, 200 from /healthz', async () => {
    const own = await startMemoryApi(10);
    try {
      expect((await fetch(`${own.url}/readyz`)).status).toBe(200);
      await own.engine.artifactStore.close();
      const res = await fetch(`${own.url}/readyz`);
      expect(res.status).toBe(503);
      const body = await json(res);
      expect(body.status).toBe('unavailable');
      expect(body.stores.artifactStore.ok).toBe(false);
      expect(body.stores.jobStore.ok).toBe(true);
      expect((await fetch(`${own.url}/healthz`)).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});
