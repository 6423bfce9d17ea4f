/**
 * Redis as a Sentinel set or a Cluster from the environment: the variables are parsed
 * and refused with the variable's name (never a password); a real Sentinel set and a real
 * Cluster (private, on free ports) are reached through `adaptersFromEnv()`.
 */
import { randomBytes } from 'node:crypto';
import type { DalstonError } from '@dalston/core/adapter';
import { adaptersFromEnv, parseDalstonEnv, REDIS_VARIABLES } from '@dalston/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestSchema, testSchema } from '../../../test-support/postgres.js';
import { type RestartableCluster, startRestartableCluster } from '../../../test-support/redis-cluster.js';
import { startSentinelSet, type TestSentinelSet } from '../../../test-support/redis-sentinel.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { describeReal } from '../src/describe.js';

const SECRET = 'sentinel-secret-42';
const base = {
  DALSTON_DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/app',
  DALSTON_S3_BUCKET: 'bucket-a',
};

function refused(env: Record<string, string>): DalstonError {
  try {
    parseDalstonEnv(env);
  } catch (e) {
    const err = e as DalstonError;
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(`${err.message} ${JSON.stringify(err.toJSON())}`).not.toContain(SECRET);
    return err;
  }
  throw new Error('expected a refusal');
}

describe('parsing the Redis topology variables', () => {
  it('a Sentinel set selects Redis instead of the URL', () => {
    const parsed = parseDalstonEnv({
      ...base,
      DALSTON_REDIS_SENTINELS: 's1.internal:26379, s2.internal:26380,[::1]:26381',
      DALSTON_REDIS_SENTINEL_NAME: 'mymaster',
      DALSTON_REDIS_SENTINEL_PASSWORD: SECRET,
      DALSTON_REDIS_PASSWORD: SECRET,
    });
    if (parsed.mode !== 'real') throw new Error('expected real mode');
    expect(parsed.env.DALSTON_REDIS_SENTINELS).toEqual([
      { host: 's1.internal', port: 26379 },
      { host: 's2.internal', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    const text = describeReal(parsed.env);
    expect(text).toContain('redis sentinel mymaster via s1.internal:26379,s2.internal:26380,::1:26381');
    expect(text).not.toContain(SECRET);
  });

  it('a Cluster selects Redis instead of the URL; an empty URL counts as unset', () => {
    const parsed = parseDalstonEnv({
      ...base,
      DALSTON_REDIS_URL: '',
      DALSTON_REDIS_CLUSTER_NODES: 'n1:7000,n2:7001',
    });
    if (parsed.mode !== 'real') throw new Error('expected real mode');
    expect(parsed.env.DALSTON_REDIS_CLUSTER_NODES).toHaveLength(2);
    expect(describeReal(parsed.env)).toContain('redis cluster n1:7000,n2:7001 (prefix dalston)');
  });

  it('refuses two places for Redis at once, naming the second', () => {
    const err = refused({
      ...base,
      DALSTON_REDIS_URL: `redis://:${SECRET}@h:6379`,
      DALSTON_REDIS_CLUSTER_NODES: 'n1:7000',
    });
    expect(err.field).toBe('DALSTON_REDIS_CLUSTER_NODES');
    expect(err.message).toContain(`set only one of ${REDIS_VARIABLES.join(', ')}`);
  });

  it.each([
    ['DALSTON_REDIS_SENTINELS', { DALSTON_REDIS_SENTINELS: `h:${SECRET}`, DALSTON_REDIS_SENTINEL_NAME: 'm' }],
    ['DALSTON_REDIS_SENTINELS', { DALSTON_REDIS_SENTINELS: 'h:0', DALSTON_REDIS_SENTINEL_NAME: 'm' }],
    ['DALSTON_REDIS_SENTINEL_NAME', { DALSTON_REDIS_SENTINELS: 'h:26379' }],
    [
      'DALSTON_REDIS_SENTINEL_NAME',
      { DALSTON_REDIS_SENTINELS: 'h:26379', DALSTON_REDIS_SENTINEL_NAME: 'a b' },
    ],
    ['DALSTON_REDIS_CLUSTER_NODES', { DALSTON_REDIS_CLUSTER_NODES: 'n1:7000,,n2' }],
    ['DALSTON_REDIS_TLS', { DALSTON_REDIS_CLUSTER_NODES: 'n1:7000', DALSTON_REDIS_TLS: 'yes' }],
  ])('refuses a malformed %s', (variable, vars) => {
    const err = refused({ ...base, ...vars });
    expect(err.field).toBe(variable);
    expect(err.message).toContain(`environment variable ${variable}`);
  });

  it('without any Redis variable, the half-configured set names the URL and its alternatives', () => {
    const err = refused({ ...base });
    expect(err.field).toBe('DALSTON_REDIS_URL');
    expect(err.message).toMatch(/Redis: or DALSTON_REDIS_SENTINELS or DALSTON_REDIS_CLUSTER_NODES/);
  });
});

describe('adaptersFromEnv on a real Sentinel set and a real Cluster', () => {
  let schema: TestSchema;
  let s3: S3Server;
  let set: TestSentinelSet;
  let cluster: RestartableCluster;
  beforeAll(async () => {
    [schema, s3, set, cluster] = await Promise.all([
      testSchema('envtopo'),
      startS3Server(),
      startSentinelSet(),
      startRestartableCluster(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled([schema?.cleanup(), s3?.stop(), set?.stop(), cluster?.stop()]);
  });

  const envWith = (redis: Record<string, string>) => ({
    DALSTON_DATABASE_URL: schema.url,
    DALSTON_DATABASE_SCHEMA: schema.schema,
    DALSTON_REDIS_PREFIX: `envtopo-${randomBytes(3).toString('hex')}`,
    DALSTON_S3_BUCKET: s3.bucket,
    DALSTON_S3_ENDPOINT: s3.endpoint,
    DALSTON_S3_REGION: s3.region,
    DALSTON_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    DALSTON_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    DALSTON_S3_FORCE_PATH_STYLE: '1',
    DALSTON_S3_CHECKSUMS: 'when-required',
    ...redis,
  });

  it.each([
    [
      'a Sentinel set',
      () => ({
        DALSTON_REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
        DALSTON_REDIS_SENTINEL_NAME: set.name,
      }),
    ],
    [
      'a Cluster',
      () => ({ DALSTON_REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') }),
    ],
  ])('reaches %s: queue, scripts and pub/sub work', { timeout: 30_000 }, async (_, redis) => {
    const env = await adaptersFromEnv({ env: envWith(redis()) });
    try {
      const { workQueue, eventBus } = env.adapters;
      const got: number[] = [];
      await eventBus.subscribe({ tenantId: 't' }, (e) => got.push(e.id));
      const msg = {
        id: 'task-1:1',
        queue: 'q',
        taskId: 'task-1',
        jobId: 'j',
        tenantId: 't',
        attempt: 1,
        priority: 0,
        notBefore: null,
        maxDeliveries: 3,
      };
      expect(await workQueue.enqueue([msg])).toBe(1);
      expect((await workQueue.lease(['q'], { leaseMs: 1000, waitMs: 1000 }))?.message.id).toBe('task-1:1');
      await eventBus.publish([
        {
          id: 7,
          type: 'task.progress',
          tenantId: 't',
          jobId: null,
          taskId: null,
          sessionId: null,
          payload: {},
          correlationId: null,
          at: Date.now(),
        },
      ]);
      const deadline = Date.now() + 5000;
      while (!got.includes(7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual([7]);
    } finally {
      await env.close();
    }
  });
});
