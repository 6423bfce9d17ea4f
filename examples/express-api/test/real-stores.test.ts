/**
 * The example on the real stores: PostgreSQL (DALSTON_TEST_DATABASE_URL, own schema),
 * Redis (DALSTON_TEST_REDIS_URL, own key prefix) and s3rver (test-support/s3.ts), with
 * the API and a worker as two separate processes. Includes a 200 MB upload streamed
 * through the API while the server's resident memory is sampled.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestSchema, testSchema } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { bytes, client, json, problemOf, readSse, type SseMessage, waitForJob } from './helpers.js';
import { type Child, memoryOf, spawnExample, streamedMultipart } from './processes.js';

const MB = 1024 * 1024;
let schema: TestSchema;
let s3: S3Server;
let redisUrl: string;
let redisPrefix: string;
let server: Child;
let worker: Child;
let url: string;
let adminKey: string;

beforeAll(async () => {
  [schema, s3, redisUrl] = await Promise.all([testSchema('express_api'), startS3Server(), testRedisUrl()]);
  redisPrefix = `t-express-${randomBytes(4).toString('hex')}`;
  const env = {
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
    DALSTON_STAGE_DELAY_MS: '20',
    DALSTON_MAX_UPLOAD_BYTES: String(256 * MB),
    DALSTON_LOG: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // Both at once: migrations are safe concurrently (advisory lock); only the API bootstraps.
  [server, worker] = await Promise.all([
    spawnExample(
      'src/server.ts',
      { ...env, PORT: '0', DALSTON_INLINE_WORKER: '0', DALSTON_BOOTSTRAP_TENANT: 'acme' },
      (lines) => lines.some((l) => /^\s+dk_/.test(l)),
    ),
    spawnExample('src/worker.ts', env, (lines) => lines.some((l) => l.startsWith('{"worker"'))),
  ]);
  url = JSON.parse(server.lines.find((l) => l.startsWith('{"listening"'))!).listening;
  adminKey = server.lines.find((l) => /^\s+dk_/.test(l))!.trim();
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([server?.stop(), worker?.stop()]);
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`*${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await Promise.allSettled([s3?.stop(), schema?.cleanup()]);
});

describe('express-api on PostgreSQL + Redis + S3 (API and worker in separate processes)', () => {
  it('is ready with every store reachable', async () => {
    const res = await fetch(`${url}/readyz`);
    const body = await json(res);
    expect(res.status).toBe(200);
    expect(Object.values(body.stores).every((s) => (s as { ok: boolean }).ok)).toBe(true);
  });

  it('runs a job on the separate worker, streams its events and redirects the result to a presigned URL', async () => {
    const c = client(url, adminKey);
    const job = await json(c.upload(bytes(64 * 1024), { parameters: { diarize: true } }));
    const seen: SseMessage[] = [];
    const res = await fetch(`${url}/v1/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    await readSse(res, (m) => void seen.push(m));
    const types = seen.filter((m) => m.id !== undefined).map((m) => m.event);
    expect(types[0]).toBe('job.created');
    expect(types.at(-1)).toBe('job.completed');

    const result = await c.get(`/v1/jobs/${job.id}/result`);
    expect(result.status).toBe(302);
    const location = result.headers.get('location')!;
    expect(location).toContain(s3.bucket);
    const transcript = await json(fetch(location));
    expect(transcript).toMatchObject({ jobId: job.id, speakers: 2 });
    const streamed = await json(c.get(`/v1/jobs/${job.id}/result?redirect=false`));
    expect(streamed).toEqual(transcript);
    // Second channel: the objects really are in the bucket.
    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `tenants/acme/jobs/${job.id}/` }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toEqual(
      expect.arrayContaining([
        `tenants/acme/jobs/${job.id}/input/input.wav`,
        `tenants/acme/jobs/${job.id}/output/transcript.json`,
      ]),
    );
  });

  it('refuses another tenant, bad keys and oversize bodies the same way as in memory', async () => {
    expect((await client(url, null).get('/v1/jobs')).status).toBe(401);
    const other = await json(
      client(url, adminKey).post('/v1/keys', { name: 'second', scopes: ['jobs:read'] }),
    );
    expect((await client(url, other.key).get('/v1/jobs')).status).toBe(200);
    expect((await problemOf(await client(url, adminKey).get('/v1/jobs/job_missing'))).code).toBe('NOT_FOUND');
  });

  it('streams a 200 MB upload through the API with bounded server memory', async () => {
    const chunk = randomBytes(MB);
    // Warm-up: one 24 MB upload, so the baseline includes the multipart code paths.
    const warm = streamedMultipart(24 * MB, chunk, () => undefined);
    expect((await postStream(warm)).status).toBe(202);
    const size = 200 * MB;
    const hash = createHash('sha256');
    const upload = streamedMultipart(size, chunk, (c) => hash.update(c));
    const baseline = memoryOf(server.pid).rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryOf(server.pid).rss);
    }, 20);
    const started = Date.now();
    let res: Response;
    try {
      res = await postStream(upload);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, memoryOf(server.pid).rss);
    const seconds = (Date.now() - started) / 1000;
    const hwm = memoryOf(server.pid).hwm;
    const job = await json(res);
    expect(res.status, JSON.stringify(job)).toBe(202);
    const growth = peak - baseline;
    console.log(
      `200 MB upload: ${seconds.toFixed(1)} s; server RSS baseline ${(baseline / MB).toFixed(0)} MB, ` +
        `peak ${(peak / MB).toFixed(0)} MB, growth ${(growth / MB).toFixed(0)} MB (VmHWM ${(hwm / MB).toFixed(0)} MB)`,
    );
    expect(growth).toBeLessThan(120 * MB);

    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: `tenants/acme/jobs/${job.id}/input/input.wav` }),
    );
    expect(head.ContentLength).toBe(size);
    const done = await waitForJob(client(url, adminKey), job.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(hash.digest('hex')).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);
});

function postStream(upload: ReturnType<typeof streamedMultipart>): Promise<Response> {
  return fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${adminKey}`,
      'content-type': upload.contentType,
      'content-length': String(upload.length),
    },
    body: upload.body,
    duplex: 'half',
  } as RequestInit);
}
