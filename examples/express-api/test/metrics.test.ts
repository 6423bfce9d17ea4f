/** GET /metrics: the engine's OpenTelemetry metrics in the Prometheus text format (memory mode). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApi } from '../src/run.js';
import { bytes, client, json, startMemoryApi, waitForJob } from './helpers.js';

let api: RunningApi;
let c: ReturnType<typeof client>;

beforeAll(async () => {
  api = await startMemoryApi(10);
  c = client(api.url, api.bootstrap!.adminKey);
});
afterAll(() => api.close());

/** The value of the sample `name{labels…}` whose labels include every one given. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('serves the dalston metrics in the Prometheus format after a job ran, without authentication', async () => {
    const job = await json(c.upload(bytes(2000)));
    expect((await waitForJob(c, job.id)).status).toBe('completed');
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE dalston_task_duration histogram');
    expect(text).toContain('# UNIT dalston_task_duration s');
    expect(text).toContain('# TYPE dalston_queue_depth gauge');
    // One attempt per stage of the transcription pipeline, all completed.
    const count = (queue: string) =>
      sample(text, 'dalston_task_duration_count', {
        dalston_queue_name: queue,
        dalston_task_outcome: 'completed',
      });
    expect((count('audio') ?? 0) + (count('asr') ?? 0)).toBeGreaterThanOrEqual(2);
    for (const state of ['ready', 'delayed', 'leased', 'dead']) {
      expect(
        sample(text, 'dalston_queue_depth', { dalston_queue_name: 'audio', dalston_queue_state: state }),
      ).toBe(0);
    }
  });

  it('counts rate-limit denials (requests refused with 429)', async () => {
    const limited = await startMemoryApi(10, {
      keyRequests: { algorithm: 'fixed', limit: 1, windowMs: 60_000 },
    });
    try {
      const k = client(limited.url, limited.bootstrap!.adminKey);
      expect((await k.get('/v1/jobs')).status).toBe(200);
      expect((await k.get('/v1/jobs')).status).toBe(429);
      const text = await (await fetch(`${limited.url}/metrics`)).text();
      expect(sample(text, 'dalston_rate_limit_denials_total', { dalston_rate_limit_kind: 'requests' })).toBe(
        1,
      );
    } finally {
      await limited.close();
    }
  });
});
