/** GET /v1/jobs/:id/events: SSE with ids, heartbeats, and resume after a dropped connection. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import {
  bytes,
  client,
  json,
  problemOf,
  readSse,
  type SseMessage,
  startMemoryApi,
  waitForJob,
} from './helpers.js';

let api: RunningApi;
let c: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startMemoryApi(60);
  c = client(api.url, api.bootstrap!.adminKey);
});
afterAll(() => api.close());

const events = (ms: SseMessage[]) => ms.filter((m) => m.id !== undefined);

async function stream(jobId: string, headers: Record<string, string> = {}, stopAfter = Infinity, query = '') {
  const abort = new AbortController();
  const res = await fetch(`${api.url}/v1/jobs/${jobId}/events${query}`, {
    headers: { authorization: `Bearer ${api.bootstrap!.adminKey}`, ...headers },
    signal: abort.signal,
  });
  const got: SseMessage[] = [];
  await readSse(
    res,
    (m) => {
      got.push(m);
      return events(got).length < stopAfter;
    },
    abort,
  );
  return { res, got };
}

describe('job events over SSE', () => {
  it('streams every event with ids, heartbeats, and ends after the terminal event', async () => {
    const job = await json(c.upload(bytes(2000), { parameters: { diarize: true } }));
    const { res, got } = await stream(job.id);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const evs = events(got);
    expect(evs[0]).toMatchObject({ event: 'job.created', data: { type: 'job.created', jobId: job.id } });
    expect(evs.at(-1)?.event).toBe('job.completed');
    expect(evs.map((e) => e.id)).toEqual([...evs.map((e) => e.id!)].sort((a, b) => a - b));
    expect(evs.some((e) => e.event === 'task.progress')).toBe(true);
    for (const e of evs) expect((e.data as { id: number }).id).toBe(e.id);
    expect(got.some((m) => m.comment === 'heartbeat')).toBe(true);
  });

  it('resumes after a dropped connection with Last-Event-ID: no gaps, no duplicates', async () => {
    const job = await json(c.upload(bytes(2000), { parameters: { diarize: true } }));
    const first = await stream(job.id, {}, 4); // then the client drops the connection
    const seen = events(first.got);
    expect(seen).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 150)); // events keep happening while disconnected
    const lastId = seen.at(-1)!.id!;
    const rest = await stream(job.id, { 'last-event-id': String(lastId) });
    const resumed = events(rest.got);
    expect(resumed[0]!.id).toBeGreaterThan(lastId);
    expect(resumed.at(-1)?.event).toBe('job.completed');

    const full = events((await stream(job.id)).got).map((e) => e.id);
    const joined = [...seen, ...resumed].map((e) => e.id);
    expect(joined).toEqual(full);
    expect(new Set(joined).size).toBe(joined.length);
    // `?after=` works the same for clients that cannot set headers.
    const after = events((await stream(job.id, {}, Infinity, `?after=${lastId}`)).got).map((e) => e.id);
    expect(after).toEqual(resumed.map((e) => e.id));
  });

  it('ends at once for a finished job resumed past its last event', async () => {
    const job = await json(c.upload(bytes(100)));
    await waitForJob(c, job.id);
    const all = events((await stream(job.id)).got);
    const tail = await stream(job.id, { 'last-event-id': String(all.at(-1)!.id) });
    expect(events(tail.got)).toEqual([]);
  });

  it('answers 404 and 400 as problems before opening the stream', async () => {
    const missing = await c.get('/v1/jobs/job_nope/events');
    expect(await problemOf(missing)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const job = await json(c.upload(bytes(100)));
    const bad = await c.get(`/v1/jobs/${job.id}/events`, { 'last-event-id': 'abc' });
    expect(await problemOf(bad)).toMatchObject({ status: 400, field: 'Last-Event-ID' });
  });
});
