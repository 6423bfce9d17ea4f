/** Test helpers: start the API on port 0, call it over real HTTP, read SSE streams. */
import { silentLogger } from '@dalston/core';
import type { AppOptions } from '../src/config.js';
import { type RunningApi, startApi } from '../src/run.js';

export const TEST_APP: Partial<AppOptions> = {
  maxUploadBytes: 256 * 1024,
  sseHeartbeatMs: 50,
};

/** The API in memory mode with the demo tenant and a fast simulated pipeline. */
export async function startMemoryApi(stageDelayMs = 40, app: Partial<AppOptions> = {}): Promise<RunningApi> {
  return startApi({
    env: {},
    logger: silentLogger,
    stageDelayMs,
    app: { ...TEST_APP, ...app },
    config: { eventPollMs: 50 },
  });
}

export interface Client {
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  del(path: string): Promise<Response>;
  upload(
    bytes: Uint8Array,
    opts?: { parameters?: unknown; type?: string; idempotencyKey?: string; filename?: string },
  ): Promise<Response>;
}

export function client(baseUrl: string, key: string | null): Client {
  const auth: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  return {
    get: (path, headers = {}) =>
      fetch(baseUrl + path, { headers: { ...auth, ...headers }, redirect: 'manual' }),
    post: (path, body, headers = {}) =>
      fetch(baseUrl + path, {
        method: 'POST',
        headers: {
          ...auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    del: (path) => fetch(baseUrl + path, { method: 'DELETE', headers: auth }),
    upload: (bytes, opts = {}) => {
      const form = new FormData();
      if (opts.parameters !== undefined) {
        const p = opts.parameters;
        form.append('parameters', typeof p === 'string' ? p : JSON.stringify(p));
      }
      form.append('file', new Blob([bytes], { type: opts.type ?? 'audio/wav' }), opts.filename ?? 'a.wav');
      const headers = { ...auth, ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}) };
      return fetch(`${baseUrl}/v1/jobs`, { method: 'POST', headers, body: form });
    },
  };
}

/** A tenant with its own admin key, created through the engine. */
export async function makeTenant(api: RunningApi, id: string, limits = {}): Promise<string> {
  const { dalston } = api.engine;
  const t = await dalston.tenants.create({ id, name: id, limits });
  if (t.isErr()) throw t.error;
  const k = await dalston.apiKeys.create({ tenantId: id, name: 'test', scopes: ['admin'] });
  if (k.isErr()) throw k.error;
  return k.value.key;
}

/** Polls GET /v1/jobs/:id until `done(status)`; returns the last body. */
export async function waitForJob(
  c: Client,
  id: string,
  done = (s: string) => ['completed', 'failed', 'cancelled'].includes(s),
  timeoutMs = 10_000,
): Promise<{ status: string } & Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body: Json = await (await c.get(`/v1/jobs/${id}`)).json();
    if (done(body.status) || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SseMessage {
  id?: number;
  event?: string;
  data?: unknown;
  comment?: string;
}

/**
 * Reads an SSE response, calling `onMessage` for each message (and comment); stops when
 * the stream ends or `onMessage` returns false (then aborts the connection).
 */
export async function readSse(
  res: Response,
  onMessage: (m: SseMessage) => boolean | undefined,
  abort?: AbortController,
): Promise<void> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf('\n\n');
      if (onMessage(parseBlock(block)) === false) {
        abort?.abort();
        await reader.cancel().catch(() => undefined);
        return;
      }
    }
  }
}

function parseBlock(block: string): SseMessage {
  const m: SseMessage = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) m.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) m.id = Number(line.slice(4));
    else if (line.startsWith('event: ')) m.event = line.slice(7);
    else if (line.startsWith('data: ')) m.data = JSON.parse(line.slice(6));
  }
  return m;
}

export const bytes = (n: number, seed = 1): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

/** Asserts an RFC 9457 problem response and returns its body. */
export async function problemOf(res: Response): Promise<Record<string, unknown>> {
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(
      `expected problem+json, got ${res.status} ${res.headers.get('content-type')}: ${await res.text()}`,
    );
  }
  return (await res.json()) as Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the tests' assertions
export type Json = any;

/** The JSON body of a response. */
export const json = async (res: Response | Promise<Response>): Promise<Json> => (await res).json();
