/** POST /v1/jobs: streamed multipart, limits, content types, parameters, idempotency (memory mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { bytes, client, json, problemOf, startMemoryApi, TEST_APP, waitForJob } from './helpers.js';

let api: RunningApi;
let c: ReturnType<typeof client>;
const MAX = TEST_APP.maxUploadBytes!;

beforeAll(async () => {
  api = await startMemoryApi(10);
  c = client(api.url, api.bootstrap!.adminKey);
});
afterAll(() => api.close());

/** Jobs of the demo tenant and input objects under its prefix: a refused upload leaves neither. */
async function footprint() {
  const jobs = await api.engine.dalston.jobs.list({ tenantId: 'demo', limit: 1000 });
  const objects = await api.engine.artifactStore.list('tenants/demo/', { limit: 1000 });
  const inputs = objects.items.filter((o) => o.key.includes('/input/'));
  return { jobs: jobs._unsafeUnwrap().jobs.length, inputs: inputs.length };
}

function raw(body: string | Uint8Array, contentType: string) {
  return fetch(`${api.url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.bootstrap!.adminKey}`, 'content-type': contentType },
    body,
  });
}

const B = 'XyZboundary';
const part = (name: string, value: string, file?: string, type = 'audio/wav') =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n` +
  `${file ? `Content-Type: ${type}\r\n` : ''}\r\n${value}\r\n`;

describe('POST /v1/jobs', () => {
  it('accepts an upload, runs the job and serves the transcript', async () => {
    const res = await c.upload(bytes(50_000), { parameters: { language: 'de', diarize: true, speakers: 3 } });
    expect(res.status).toBe(202);
    const job = await json(res);
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      status: 'pending',
      parameters: { language: 'de', diarize: true },
      hasInput: true,
    });
    expect((await waitForJob(c, job.id)).status).toBe('completed');
    const result = await c.get(`/v1/jobs/${job.id}/result`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/json/);
    const transcript = await json(result);
    expect(transcript).toMatchObject({ jobId: job.id, language: 'de', speakers: 3 });
    expect(transcript.segments).toHaveLength(3);
  });

  it('returns the same job for a repeated Idempotency-Key', async () => {
    const first = await json(c.upload(bytes(1000), { idempotencyKey: 'idem-1' }));
    const before = await footprint();
    const again = await c.upload(bytes(2000, 7), { idempotencyKey: 'idem-1' });
    expect(again.status).toBe(202);
    expect((await json(again)).id).toBe(first.id);
    expect((await footprint()).jobs).toBe(before.jobs);
    const other = await json(c.upload(bytes(1000), { idempotencyKey: 'idem-2' }));
    expect(other.id).not.toBe(first.id);
    const bad = await c.upload(bytes(10), { idempotencyKey: 'no spaces allowed' });
    expect(await problemOf(bad)).toMatchObject({ status: 400, field: 'Idempotency-Key' });
  });

  it.each([
    ['not JSON', '{language', 'parameters'],
    ['not an object', '[1,2]', 'parameters'],
    ['a bad language', { language: 'english' }, 'parameters.language'],
    ['an unknown parameter', { colour: 'red' }, 'parameters'],
  ])('refuses parameters that are %s with 400, storing nothing', async (_n, parameters, field) => {
    const before = await footprint();
    const res = await c.upload(bytes(5000), { parameters });
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(String(problem.field)).toContain(field);
    expect(await footprint()).toEqual(before);
  });

  it('refuses an upload over the limit with 413 while streaming, storing nothing', async () => {
    const before = await footprint();
    const res = await c.upload(bytes(MAX + 50_000));
    expect(res.status).toBe(413);
    expect(await problemOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', title: 'Content Too Large' });
    expect(await footprint()).toEqual(before);
    // Exactly at the limit is fine.
    expect((await c.upload(bytes(MAX))).status).toBe(202);
  });

  it('refuses a declared Content-Length far over the limit before reading the body', async () => {
    const res = await c.upload(bytes(MAX + 2 * 1024 * 1024));
    expect(res.status).toBe(413);
    expect((await problemOf(res)).status).toBe(413);
  });

  it('answers 415 for a non-multipart body or a file type not accepted', async () => {
    const json = await raw('{"a":1}', 'application/json');
    expect(await problemOf(json)).toMatchObject({ status: 415, field: 'Content-Type' });
    const text = await c.upload(bytes(100), { type: 'text/plain' });
    expect(await problemOf(text)).toMatchObject({ status: 415, code: 'VALIDATION_FAILED', field: 'file' });
    expect((await c.upload(bytes(100), { type: 'application/octet-stream' })).status).toBe(202);
  });

  it.each([
    ['no boundary', 'x', 'multipart/form-data'],
    ['garbage', 'this is not multipart at all', `multipart/form-data; boundary=${B}`],
    ['no file part', `${part('parameters', '{}')}--${B}--\r\n`, `multipart/form-data; boundary=${B}`],
    [
      'a truncated body',
      `${part('file', 'abc'.repeat(1000), 'a.wav')}`,
      `multipart/form-data; boundary=${B}`,
    ],
    [
      'two files',
      `${part('file', 'a', 'a.wav')}${part('file', 'b', 'b.wav')}--${B}--\r\n`,
      `multipart/form-data; boundary=${B}`,
    ],
    [
      'a misnamed file part',
      `${part('upload', 'a', 'a.wav')}--${B}--\r\n`,
      `multipart/form-data; boundary=${B}`,
    ],
    [
      'a field after the file',
      `${part('file', 'a', 'a.wav')}${part('parameters', '{}')}--${B}--\r\n`,
      `multipart/form-data; boundary=${B}`,
    ],
  ])('refuses a malformed multipart body (%s) with 400, storing nothing', async (_n, body, type) => {
    const before = await footprint();
    const res = await raw(body, type);
    expect(res.status).toBe(400);
    expect(await problemOf(res)).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    await new Promise((r) => setTimeout(r, 20));
    expect(await footprint()).toEqual(before);
  });

  it('keeps the connection usable after refusing (the body was drained)', async () => {
    for (let i = 0; i < 3; i++) expect((await c.upload(bytes(MAX + 1))).status).toBe(413);
    expect((await c.get('/v1/jobs?limit=1')).status).toBe(200);
  });
});
