/**
 * Secrets never appear in any error, log line or printed output: malformed and unreachable
 * DATABASE / REDIS / S3 settings that carry passwords are refused or fail, and the whole
 * error (message, stack, `cause` chain as Node prints it on a crash, `toJSON()`), every log
 * line handed to the logger, and everything written to stdout/stderr meanwhile (by the
 * drivers too) are searched for the password. Local listeners that close every connection
 * stand in for unreachable servers; no real server is needed.
 */
import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { DalstonError, isDalstonError, type Logger } from '@dalston/core/adapter';
import { adaptersFromEnv } from '@dalston/env';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const SECRET = 'Pa55-w0rd-SECRET';
let listener: Server;
let port: number;
let printed: string[] = [];
const restore: (() => void)[] = [];

beforeAll(async () => {
  listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

/** Captures whatever is written to stdout/stderr or through console while a case runs. */
beforeEach(() => {
  printed = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => {
      printed.push(args.map((a) => inspect(a, { depth: null })).join(' '));
    };
    restore.push(() => {
      console[level] = original;
    });
  }
});
afterEach(() => {
  while (restore.length) restore.pop()!();
});

const logged: string[] = [];
const logger: Logger = {
  debug: (m, f) => logged.push(`${m} ${inspect(f, { depth: null })}`),
  info: (m, f) => logged.push(`${m} ${inspect(f, { depth: null })}`),
  warn: (m, f) => logged.push(`${m} ${inspect(f, { depth: null })}`),
  error: (m, f) => logged.push(`${m} ${inspect(f, { depth: null })}`),
  child: () => logger,
};

/** Everything a host could show of `e`: message, stack, the crash print (with causes), JSON. */
function shown(e: unknown): string {
  const parts = [inspect(e, { depth: null, showHidden: true })];
  if (e instanceof Error) parts.push(e.message, String(e.stack));
  if (isDalstonError(e)) parts.push(JSON.stringify(e.toJSON()), JSON.stringify(e));
  return parts.join('\n');
}

function expectNoSecret(e: unknown): void {
  for (const text of [shown(e), ...printed, ...logged]) expect(text).not.toContain(SECRET);
}

const env = (overrides: Record<string, string>): Record<string, string> => ({
  DALSTON_DATABASE_URL: `postgres://dalston:${SECRET}@127.0.0.1:${port}/app`,
  DALSTON_REDIS_URL: `redis://:${SECRET}@127.0.0.1:${port}/0`,
  DALSTON_S3_BUCKET: 'dalston-bucket',
  DALSTON_S3_ENDPOINT: `http://127.0.0.1:${port}`,
  DALSTON_S3_ACCESS_KEY_ID: 'key-id',
  DALSTON_S3_SECRET_ACCESS_KEY: SECRET,
  ...overrides,
});

const malformed: [string, string][] = [
  ['DALSTON_REDIS_URL', `redis://user:${SECRET}@127.0.0.1:notaport/0`],
  ['DALSTON_REDIS_URL', `redis://:${SECRET}@[bad/0`],
  ['DALSTON_REDIS_URL', `redis://:${SECRET}@127.0.0.1:6379/abc`],
  ['DALSTON_REDIS_URL', `rediss://:${SECRET}@127.0.0.1:99999`],
  ['DALSTON_DATABASE_URL', `postgres://u:${SECRET}@127.0.0.1:notaport/x`],
  ['DALSTON_DATABASE_URL', `postgres://u:${SECRET}@[bad/x`],
  ['DALSTON_DATABASE_URL', `postgresql://u:${SECRET}@127.0.0.1:99999/x`],
  ['DALSTON_S3_ENDPOINT', `http://u:${SECRET}@[bad`],
  ['DALSTON_S3_ENDPOINT', `http://u:${SECRET}@127.0.0.1:99999`],
];

describe('malformed connection settings with a password', () => {
  it.each(malformed)(
    '%s (case %#) is refused naming the variable, with the password nowhere',
    async (variable, value) => {
      const err = await adaptersFromEnv({ env: env({ [variable]: value }), logger }).then(
        (a) => a.close().then(() => null),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DalstonError);
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field: variable });
      expectNoSecret(err);
    },
  );

  it.each([
    ['redis', () => redisAdapters({ url: `redis://:${SECRET}@[bad/0` })],
    ['redis', () => redisAdapters({ url: `redis://:${SECRET}@127.0.0.1:6379/abc` })],
    ['postgres', () => postgresAdapters({ connectionString: `postgres://u:${SECRET}@[bad/x` })],
  ] as const)('the %s adapter refuses it on its own, with the password nowhere', (_, open) => {
    let err: unknown = null;
    try {
      open();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expectNoSecret(err);
  });
});

describe('unreachable stores with a password in the URL', () => {
  it('migration failure (PostgreSQL driver error) names no password', async () => {
    const err = await adaptersFromEnv({ env: env({}), logger }).then(
      (a) => a.close().then(() => null),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expectNoSecret(err);
  });

  it('driver errors of Redis, S3 and PostgreSQL at use, their logs and describe() name no password', async () => {
    const real = await adaptersFromEnv({ env: env({}), logger, migrate: false });
    try {
      const { adapters } = real;
      const failures = await Promise.all([
        adapters.tenantStore.get('t').then(
          () => null,
          (e: unknown) => e,
        ),
        adapters.workQueue.stats('q').then(
          () => null,
          (e: unknown) => e,
        ),
        adapters.artifactStore.head('tenants/t/jobs/j/input/a.wav').then(
          () => null,
          (e: unknown) => e,
        ),
      ]);
      for (const e of failures) {
        expect(e).toMatchObject({ code: 'STORE_UNAVAILABLE' });
        expectNoSecret(e);
      }
      expect(real.describe()).not.toContain(SECRET);
      expectNoSecret(null);
    } finally {
      await real.close();
    }
  });
});
