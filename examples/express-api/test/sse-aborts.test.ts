/**
 * SSE clients that leave early, on the real stores (PostgreSQL, Redis, s3rver): a close is
 * honoured whenever it happens. 200 requests to GET /v1/jobs/:id/events are dropped at four
 * points — while the API key is verified, while the tenant's rate limit is read, while the
 * job is looked up (each held at a gate until the server has seen the disconnect), and after
 * streaming began — and afterwards no Redis subscription (PUBSUB NUMSUB on the jobs'
 * channels, read with a raw client) and no heartbeat or poll timer (active handles) is left.
 * No worker runs, so every job stays pending: a leaked stream would never end by itself.
 * Also: ids that cannot exist and malformed paths answer the same as in memory mode.
 */
import { randomBytes } from 'node:crypto';
import http, { type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyLayout } from '@dalston/adapter-redis';
import { type Dalston, silentLogger } from '@dalston/core';
import { Redis } from 'ioredis';
import { ResultAsync } from 'neverthrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../../test-support/poll.js';
import { type TestSchema, testSchema } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { createApp } from '../src/app.js';
import { type RunningApi, startApi } from '../src/run.js';
import { problemOf } from './helpers.js';

type Point = 'auth' | 'rate-limit' | 'lookup';
const PER_POINT = 50;
const TENANT = 'acme';

/** Holds calls at one point until released; counts the calls held. */
class Gates {
  armed: Point | null = null;
  held = 0;
  private waiting: (() => void)[] = [];
  async pass(point: Point): Promise<void> {
    if (this.armed !== point) return;
    this.held += 1;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  arm(point: Point): void {
    this.armed = point;
    this.held = 0;
  }
  release(): void {
    this.armed = null;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

let schema: TestSchema;
let s3: S3Server;
let redisUrl: string;
let redisPrefix: string;
let api: RunningApi;
let raw: Redis;
let server: http.Server;
let base: string;
let key: string;
const gates = new Gates();

/** The engine, with the three calls an events request makes before streaming held at gates. */
function gated(d: Dalston): Dalston {
  const apiKeys = new Proxy(d.apiKeys, {
    get: (t, p) =>
      p === 'verify'
        ? (k: string) => new ResultAsync(gates.pass('auth').then(() => t.verify(k)))
        : Reflect.get(t, p),
  });
  const tenants = new Proxy(d.tenants, {
    get: (t, p) =>
      p === 'get'
        ? (id: string) => new ResultAsync(gates.pass('rate-limit').then(() => t.get(id)))
        : Reflect.get(t, p),
  });
  const jobs = new Proxy(d.jobs, {
    get: (t, p) =>
      p === 'get'
        ? (tenantId: string, id: string) =>
            new ResultAsync(gates.pass('lookup').then(() => t.get(tenantId, id)))
        : Reflect.get(t, p),
  });
  return { ...d, apiKeys, tenants, jobs };
}

beforeAll(async () => {
  [schema, s3, redisUrl] = await Promise.all([testSchema('express_sse'), startS3Server(), testRedisUrl()]);
  redisPrefix = `t-sse-${randomBytes(4).toString('hex')}`;
  api = await startApi({
    env: {
      DALSTON_DATABASE_URL: schema.url,
      DALSTON_DATABASE_SCHEMA: schema.schema,
      DALSTON_REDIS_URL: redisUrl,
      DALSTON_REDIS_PREFIX: redisPrefix,
      DALSTON_S3_BUCKET: s3.bucket,
      DALSTON_S3_ENDPOINT: s3.endpoint,
      DALSTON_S3_REGION: s3.region,
      DALSTON_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      DALSTON_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      DALSTON_S3_FORCE_PATH_STYLE: '1',
      DALSTON_S3_CHECKSUMS: 'when-required',
    },
    logger: silentLogger,
    inlineWorker: false,
    bootstrapTenant: TENANT,
  });
  key = api.bootstrap!.adminKey;
  (await api.engine.dalston.tenants.updateLimits(TENANT, { concurrentJobs: 10_000 }))._unsafeUnwrap();
  const app = createApp({
    dalston: gated(api.engine.dalston),
    logger: silentLogger,
    options: {
      sseHeartbeatMs: 50,
      keyRequests: { algorithm: 'fixed', limit: 100_000, windowMs: 60_000 },
      tenantRequests: { algorithm: 'fixed', limit: 100_000, windowMs: 60_000 },
    },
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  raw = new Redis(redisUrl);
}, 90_000);

afterAll(async () => {
  gates.release();
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await api?.close();
  const keys = raw ? await raw.keys(`*${redisPrefix}*`) : [];
  if (keys.length) await raw.del(...keys);
  raw?.disconnect();
  await Promise.allSettled([s3?.stop(), schema?.cleanup()]);
});

const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) =>
  pollUntil(check, { what, timeoutMs });

const connections = () => new Promise<number>((resolve) => server.getConnections((_, n) => resolve(n)));
/** Timers and sockets this process holds open (the handles a leaked stream would keep). */
const handles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;

async function pendingJobs(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await api.engine.dalston.jobs.submit({ tenantId: TENANT, parameters: {} }))._unsafeUnwrap().id);
  }
  return ids;
}

/** Subscribers (connections) on the jobs' channels, summed, as Redis counts them. */
async function subscribers(jobIds: string[]): Promise<number> {
  const layout = new KeyLayout(redisPrefix);
  const reply = (await raw.pubsub('NUMSUB', ...jobIds.map((id) => layout.jobChannel(TENANT, id)))) as (
    | string
    | number
  )[];
  return reply.filter((_, i) => i % 2 === 1).reduce<number>((sum, n) => sum + Number(n), 0);
}

/** Opens an events request on its own socket; `firstEvent` resolves when a `job.created` arrives. */
function open(jobId: string): { req: ClientRequest; firstEvent: Promise<void> } {
  let seen!: () => void;
  const firstEvent = new Promise<void>((r) => {
    seen = r;
  });
  const req = http.get(`${base}/v1/jobs/${jobId}/events`, {
    agent: false,
    headers: { authorization: `Bearer ${key}` },
  });
  req.on('error', () => undefined);
  req.on('response', (res) => {
    let text = '';
    res.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('event: job.created')) seen();
    });
    res.on('error', () => undefined);
  });
  return { req, firstEvent };
}

/** A stream that is not dropped early: proves the stores and the gates let requests through. */
async function control(): Promise<void> {
  const [jobId] = await pendingJobs(1);
  const c = open(jobId!);
  await c.firstEvent;
  expect(await subscribers([jobId!])).toBe(1);
  c.req.destroy();
  await until(async () => (await subscribers([jobId!])) === 0, 'the control stream to unsubscribe');
}

describe('SSE clients that disconnect early (real stores)', () => {
  let baseline: number;
  const all: string[] = [];

  beforeAll(async () => {
    // Warm what the engine keeps anyway: a full PostgreSQL pool (each idle client holds a
    // timer and a socket), the Redis connections, one stream.
    await Promise.all(
      Array.from({ length: 40 }, () => api.engine.dalston.jobs.list({ tenantId: TENANT, limit: 1 })),
    );
    await control();
    baseline = handles();
  });

  it.each(['auth', 'rate-limit', 'lookup'] as const)(
    'dropped while held at %s: no subscription, stream or timer is left',
    async (point) => {
      const jobIds = await pendingJobs(PER_POINT);
      all.push(...jobIds);
      gates.arm(point);
      const requests = jobIds.map((id) => open(id));
      await until(() => gates.held === PER_POINT, `${PER_POINT} requests held at ${point}`);
      for (const r of requests) r.req.destroy();
      await until(async () => (await connections()) === 0, 'the server to see every disconnect');
      gates.release();
      await control(); // the released handlers have run on by now (a stream and more round trips later)
      expect(await subscribers(all)).toBe(0);
      await until(() => handles() <= baseline, `open handles back to ${baseline}`, 5000);
    },
  );

  it('dropped after streaming began: every subscription and timer ends', async () => {
    const jobIds = await pendingJobs(PER_POINT);
    all.push(...jobIds);
    const requests = jobIds.map((id) => open(id));
    await Promise.all(requests.map((r) => r.firstEvent));
    expect(await subscribers(jobIds)).toBe(PER_POINT);
    for (const r of requests) r.req.destroy();
    await until(async () => (await subscribers(all)) === 0, 'every stream to unsubscribe');
    await until(() => handles() <= baseline, `open handles back to ${baseline}`, 5000);
    expect(await connections()).toBe(0);
  });
});

describe('hostile paths on the real stores answer as in memory', () => {
  const get = (path: string) => fetch(base + path, { headers: { authorization: `Bearer ${key}` } });

  it.each(['%00', 'a%00b', '%EF%BF%BF'])(
    'GET /v1/jobs/%s is 404 NOT_FOUND naming no store internals',
    async (id) => {
      const problem = await problemOf(await get(`/v1/jobs/${id}`));
      expect(problem).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(JSON.stringify(problem)).not.toMatch(/SQLSTATE|jobStore|getJob|PostgreSQL/);
    },
  );

  it.each(['%C0%AF', '%ff'])('GET /v1/jobs/%s is 400 problem+json', async (id) => {
    expect(await problemOf(await get(`/v1/jobs/${id}`))).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  });
});
