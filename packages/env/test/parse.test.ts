/**
 * Choosing the stores from the environment: memory when nothing is set; refusals that
 * name the variable (never its value) and open nothing. No server is needed: the URLs of
 * the refused cases point at local listeners that only count connection attempts.
 */
import { createServer, type Server } from 'node:net';
import { DalstonError } from '@dalston/core/adapter';
import { adaptersFromEnv, parseDalstonEnv, REAL_STORE_VARIABLES } from '@dalston/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeReal } from '../src/describe.js';

let listener: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

/** A complete, valid real-store environment pointing at the counting listener. */
const realEnv = (): Record<string, string> => ({
  DALSTON_DATABASE_URL: `postgres://dalston:pg-secret@127.0.0.1:${port}/app`,
  DALSTON_REDIS_URL: `redis://:redis-secret@127.0.0.1:${port}/0`,
  DALSTON_S3_BUCKET: 'dalston-bucket',
  DALSTON_S3_ENDPOINT: `http://127.0.0.1:${port}`,
  DALSTON_S3_ACCESS_KEY_ID: 'AKIA-key-id',
  DALSTON_S3_SECRET_ACCESS_KEY: 's3-secret',
});
const SECRETS = ['pg-secret', 'redis-secret', 's3-secret'];

/** Expects `adaptersFromEnv({ env })` to refuse with VALIDATION_FAILED naming `variable`. */
async function expectRefused(env: Record<string, string | undefined>, variable: string, text: RegExp) {
  const before = connections;
  const err = await adaptersFromEnv({ env }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DalstonError);
  const e = err as DalstonError;
  expect(e.code).toBe('VALIDATION_FAILED');
  expect(e.field).toBe(variable);
  expect(e.message).toContain(variable);
  expect(e.message).toMatch(text);
  const shown = `${e.message} ${JSON.stringify(e.toJSON())}`;
  for (const secret of SECRETS) expect(shown).not.toContain(secret);
  // Nothing was opened: no connection attempt reached the listener. Absence needs a grace
  // period; ioredis would have connected within a few ms of being constructed.
  await new Promise((r) => setTimeout(r, 100));
  expect(connections).toBe(before);
}

describe('adaptersFromEnv: memory fallback', () => {
  it('uses the memory set when none of the three variables is set', async () => {
    const env = await adaptersFromEnv({ env: {} });
    expect(env.mode).toBe('memory');
    expect(env.describe()).toMatch(/^memory/);
    expect(Object.keys(env.adapters).sort()).toEqual(
      [
        'apiKeyStore',
        'artifactStore',
        'clock',
        'eventBus',
        'jobStore',
        'rateLimitStore',
        'sessionArchive',
        'sessionStore',
        'tenantStore',
        'workQueue',
      ].sort(),
    );
    await env.close();
    await env.close();
  });

  it('treats empty values as unset and ignores the tuning variables in memory mode', async () => {
    const env = await adaptersFromEnv({
      env: {
        DALSTON_DATABASE_URL: '',
        DALSTON_REDIS_URL: '',
        DALSTON_S3_BUCKET: '',
        DALSTON_S3_CHECKSUMS: 'bogus',
      },
    });
    expect(env.mode).toBe('memory');
  });

  it('gives fresh, independent memory adapters on every call', async () => {
    const [a, b] = await Promise.all([adaptersFromEnv({ env: {} }), adaptersFromEnv({ env: {} })]);
    expect(a.adapters.jobStore).not.toBe(b.adapters.jobStore);
  });
});

describe('adaptersFromEnv: a half-configured real set is refused, naming the missing variables', () => {
  const cases = REAL_STORE_VARIABLES.flatMap((a) => [
    [a] as string[],
    ...REAL_STORE_VARIABLES.filter((b) => b > a).map((b) => [a, b]),
  ]);
  it.each(cases.map((missing) => [missing.join(' + '), missing] as const))(
    'missing %s',
    async (_, missing) => {
      const env: Record<string, string | undefined> = realEnv();
      for (const v of missing) delete env[v];
      await expectRefused(env, missing[0]!, new RegExp(`missing ${missing.join(', ')}$`));
      const err = (() => {
        try {
          parseDalstonEnv(env);
        } catch (e) {
          return e as DalstonError;
        }
      })();
      expect(err?.details).toEqual({ missing });
      expect(err?.message).toContain(`real stores need all of ${REAL_STORE_VARIABLES.join(', ')}`);
    },
  );
});

describe('adaptersFromEnv: a malformed value is refused, naming the variable and not echoing the value', () => {
  const cases: [string, string, RegExp][] = [
    ['DALSTON_DATABASE_URL', 'mysql://dalston:pg-secret@127.0.0.1/app', /expected postgres:\/\//],
    ['DALSTON_REDIS_URL', 'http://:redis-secret@127.0.0.1:6379', /expected redis:\/\//],
    ['DALSTON_S3_BUCKET', 'ab', /.+/],
    ['DALSTON_S3_ENDPOINT', 'not a url s3-secret', /.+/],
    ['DALSTON_S3_FORCE_PATH_STYLE', 'yes', /.+/],
    ['DALSTON_S3_CHECKSUMS', 'always', /.+/],
    ['DALSTON_S3_ABORT_STALE_UPLOADS', 'yes', /.+/],
    // Refused by the adapters' own option checks, reported as the variable:
    ['DALSTON_S3_BUCKET', 'Upper_Case', /S3 bucket name/],
    ['DALSTON_REDIS_PREFIX', 'has{braces}', /@dalston\/adapter-redis/],
    ['DALSTON_DATABASE_SCHEMA', 'no spaces; please', /@dalston\/adapter-postgres/],
  ];
  it.each(cases)('%s=%j', async (variable, value, text) => {
    await expectRefused({ ...realEnv(), [variable]: value }, variable, text);
  });
});

describe('describe()', () => {
  it('names hosts, schema, prefix and bucket, never credentials', () => {
    const parsed = parseDalstonEnv({
      ...realEnv(),
      DALSTON_DATABASE_URL: 'postgresql://dalston:pg-secret@db.internal:5432/app?password=pg-secret',
      DALSTON_S3_ENDPOINT: 'https://key:s3-secret@minio.internal:9000',
      DALSTON_S3_PREFIX: 'dalston/',
    });
    if (parsed.mode !== 'real') throw new Error('expected real mode');
    const text = describeReal(parsed.env);
    expect(text).toContain('postgresql://db.internal:5432/app (schema dalston)');
    expect(text).toContain(`redis redis://127.0.0.1:${port}/0 (prefix dalston)`);
    expect(text).toContain(
      's3 bucket dalston-bucket, prefix dalston/ (region us-east-1) at https://minio.internal:9000',
    );
    for (const secret of [...SECRETS, 'AKIA-key-id', 'dalston:']) expect(text).not.toContain(secret);
  });

  it('applies the documented defaults', () => {
    const parsed = parseDalstonEnv(realEnv());
    if (parsed.mode !== 'real') throw new Error('expected real mode');
    expect(parsed.env).toMatchObject({
      DALSTON_DATABASE_SCHEMA: 'dalston',
      DALSTON_REDIS_PREFIX: 'dalston',
      DALSTON_S3_REGION: 'us-east-1',
      DALSTON_S3_PREFIX: '',
      DALSTON_S3_FORCE_PATH_STYLE: '0',
      DALSTON_S3_CHECKSUMS: 'when-supported',
      DALSTON_S3_ABORT_STALE_UPLOADS: '1',
    });
  });
});
