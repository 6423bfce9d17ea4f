/**
 * Real mode against real servers: PostgreSQL (DALSTON_TEST_DATABASE_URL, a schema of this
 * file's own), Redis (DALSTON_TEST_REDIS_URL, a key prefix of its own) and S3 (an s3rver
 * started by test-support/s3.ts, or DALSTON_TEST_S3_ENDPOINT). Like the adapters' tests,
 * without those variables the servers come from testcontainers, or the run fails saying
 * how to provide them. The connections are found on the servers by name (the pool's
 * application_name, the Redis client name) to check close() released them.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createDalston, isDalstonError, silentLogger } from '@dalston/core';
import { adaptersFromEnv, type EnvAdapters } from '@dalston/env';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../../test-support/poll.js';
import { type TestSchema, testSchema } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { freePort, type S3Server, startS3Server } from '../../../test-support/s3.js';

const rand = () => randomBytes(4).toString('hex');
const tag = `dalston-env-${rand()}`;
const redisPrefix = `t-env-${rand()}`;
let schema: TestSchema;
let s3: S3Server;
let redisUrl: string;
let sql: pg.Pool;
let redis: Redis;

beforeAll(async () => {
  [schema, s3, redisUrl] = await Promise.all([testSchema('env'), startS3Server(), testRedisUrl()]);
  sql = new pg.Pool({ connectionString: schema.url, max: 1 });
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  const keys = redis ? await redis.keys(`*${redisPrefix}*`) : [];
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
  await sql?.end();
  await Promise.allSettled([s3?.stop(), schema?.cleanup()]);
});

const withQuery = (url: string, query: string) => `${url}${url.includes('?') ? '&' : '?'}${query}`;

/** The environment a host would set, with connection names that let the test find them. */
function envFor(name: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DALSTON_DATABASE_URL: withQuery(schema.url, `application_name=${name}`),
    DALSTON_DATABASE_SCHEMA: schema.schema,
    DALSTON_REDIS_URL: withQuery(redisUrl, `connectionName=${name}`),
    DALSTON_REDIS_PREFIX: redisPrefix,
    DALSTON_S3_BUCKET: s3.bucket,
    DALSTON_S3_ENDPOINT: s3.endpoint,
    DALSTON_S3_REGION: s3.region,
    DALSTON_S3_PREFIX: `env-${rand()}`,
    DALSTON_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    DALSTON_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    DALSTON_S3_FORCE_PATH_STYLE: '1',
    DALSTON_S3_CHECKSUMS: s3.isS3rver ? 'when-required' : 'when-supported',
    ...overrides,
  };
}

async function pgBackends(name: string): Promise<number> {
  const { rows } = await sql.query<{ n: string }>(
    'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1',
    [name],
  );
  return Number(rows[0]!.n);
}

async function redisClients(name: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

/** `read()` once it returns `want` (connections end asynchronously), else its last answer after 5 s. */
async function eventually(read: () => Promise<number>, want: number): Promise<number> {
  let value = await read();
  const settled = async () => {
    value = await read();
    return value === want;
  };
  await pollUntil(settled, { everyMs: 25 }).catch(() => undefined);
  return value;
}

describe('adaptersFromEnv: PostgreSQL + Redis + S3', () => {
  it('opens the real stores, runs a one-task job to completion, and close() releases every connection', async () => {
    const name = `${tag}-job`;
    const env = envFor(name);
    const stores: EnvAdapters = await adaptersFromEnv({ env, logger: silentLogger });
    expect(stores.mode).toBe('real');
    const description = stores.describe();
    expect(description).toContain(`schema ${schema.schema}`);
    expect(description).toContain(`prefix ${redisPrefix}`);
    expect(description).toContain(`s3 bucket ${s3.bucket}`);
    expect(description).not.toContain(s3.credentials.secretAccessKey);

    const dalston = createDalston({
      adapters: stores.adapters,
      pipeline: { build: () => [{ stage: 'only', queue: 'env-work' }] },
      logger: silentLogger,
    });
    (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
    dalston.createWorker({ queues: ['env-work'], handler: (ctx) => ({ stage: ctx.task.stage, ok: true }) });
    const job = (
      await dalston.jobs.submit({
        tenantId: 'acme',
        parameters: {},
        input: { name: 'input.txt', body: 'hello' },
      })
    )._unsafeUnwrap();
    const events: string[] = [];
    for await (const e of dalston.jobs.events('acme', job.id)) events.push(e.type);
    expect(events.at(-1)).toBe('job.completed');

    // Second channel: the row in this schema, the input object in the bucket, the connections on the servers.
    const { rows } = await sql.query<{ status: string }>(
      `SELECT status FROM "${schema.schema}".jobs WHERE id = $1`,
      [job.id],
    );
    expect(rows).toEqual([{ status: 'completed' }]);
    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${env.DALSTON_S3_PREFIX}/` }),
    );
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain(
      `${env.DALSTON_S3_PREFIX}/tenants/acme/jobs/${job.id}/input/input.txt`,
    );
    expect(await pgBackends(name)).toBeGreaterThan(0);
    expect(await redisClients(name)).toBeGreaterThan(0);

    await dalston.close({ deadlineMs: 5_000 });
    await stores.close();
    expect(await eventually(() => pgBackends(name), 0)).toBe(0);
    expect(await eventually(() => redisClients(name), 0)).toBe(0);
    await expect(stores.close()).resolves.toBeUndefined();
  });

  it('DALSTON_S3_ABORT_STALE_UPLOADS=0 turns the stale-upload step off; the sweep on s3rver then reports no error', async () => {
    const on = await adaptersFromEnv({ env: envFor(`${tag}-abort-on`), logger: silentLogger });
    const off = await adaptersFromEnv({
      env: envFor(`${tag}-abort-off`, { DALSTON_S3_ABORT_STALE_UPLOADS: '0' }),
      logger: silentLogger,
    });
    try {
      expect(on.adapters.artifactStore.capabilities.abortStaleUploads).toBe(true);
      expect(off.adapters.artifactStore.capabilities.abortStaleUploads).toBe(false);
      const dalston = createDalston({
        adapters: off.adapters,
        pipeline: { build: () => [] },
        logger: silentLogger,
      });
      const swept = (await dalston.maintenance.sweepOrphans({ graceMs: 0 }))._unsafeUnwrap();
      expect(swept).toMatchObject({ abortedUploads: 0, uploadsError: null, complete: true });
      await dalston.close({ deadlineMs: 1_000 });
    } finally {
      await on.close();
      await off.close();
    }
  });

  it('migrates only when asked: migrate: false leaves a new schema absent', async () => {
    const fresh = `t_env_nomigrate_${rand()}`;
    const stores = await adaptersFromEnv({
      env: envFor(`${tag}-nomig`, { DALSTON_DATABASE_SCHEMA: fresh }),
      migrate: false,
    });
    try {
      const { rows } = await sql.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        fresh,
      ]);
      expect(rows).toHaveLength(0);
    } finally {
      await stores.close();
    }
  });

  it('closes what it opened when the migration fails, and rejects', async () => {
    const name = `${tag}-fail`;
    const closedPort = await freePort();
    const env = envFor(name, {
      DALSTON_DATABASE_URL: `postgres://postgres:pg-secret@127.0.0.1:${closedPort}/none`,
    });
    const err = await adaptersFromEnv({ env }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain('pg-secret');
    if (isDalstonError(err)) expect(JSON.stringify(err.toJSON())).not.toContain('pg-secret');
    expect(await eventually(() => redisClients(name), 0)).toBe(0);
  });
});
