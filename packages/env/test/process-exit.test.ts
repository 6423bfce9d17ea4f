/**
 * `dalston.close()` leaves nothing keeping the process alive when the engine owns the
 * stores: a child process (real PostgreSQL and Redis from DALSTON_TEST_*, an s3rver started
 * here) builds an engine with `adaptersFromEnv()` and `owns: stores`, runs a job, calls
 * `dalston.close()` and must then exit by itself within a few seconds. The control run
 * leaves the stores with the host (no `owns`, no `stores.close()`): it is still alive after
 * the same wait, which proves the test can tell the two apart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestSchema, testSchema } from '../../../test-support/postgres.js';
import { testRedisUrl } from '../../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/exit-host.ts', import.meta.url));
const redisPrefix = `t-exit-${randomBytes(4).toString('hex')}`;
/** How long after `closed` the process may take to exit (handles end asynchronously). */
const EXIT_WITHIN_MS = 4_000;
let schema: TestSchema;
let s3: S3Server;
let redisUrl: string;

beforeAll(async () => {
  [schema, s3, redisUrl] = await Promise.all([testSchema('env_exit'), startS3Server(), testRedisUrl()]);
});

afterAll(async () => {
  if (redisUrl) {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`*${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
  await Promise.allSettled([s3?.stop(), schema?.cleanup()]);
});

interface Run {
  /** What the host printed once `dalston.close()` resolved. */
  closed: { closed: boolean; mode: string; last: string };
  /** Milliseconds from `closed` to the exit, or null when still running after `EXIT_WITHIN_MS`. */
  exitedAfterMs: number | null;
  code: number | null;
}

/** Runs the host; resolves once it exited, or `EXIT_WITHIN_MS` after `closed` (then kills it). */
function runHost(mode: 'owns' | 'borrows'): Promise<Run> {
  const env = {
    ...process.env,
    DALSTON_DATABASE_URL: schema.url,
    DALSTON_DATABASE_SCHEMA: schema.schema,
    DALSTON_REDIS_URL: redisUrl,
    DALSTON_REDIS_PREFIX: `${redisPrefix}-${mode}`,
    DALSTON_S3_BUCKET: s3.bucket,
    DALSTON_S3_ENDPOINT: s3.endpoint,
    DALSTON_S3_REGION: s3.region,
    DALSTON_S3_PREFIX: `exit-${mode}`,
    DALSTON_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    DALSTON_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    DALSTON_S3_FORCE_PATH_STYLE: '1',
    DALSTON_S3_CHECKSUMS: s3.isS3rver ? 'when-required' : 'when-supported',
  };
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let closedAt: number | null = null;
    let closed: Run['closed'] | null = null;
    let timer: NodeJS.Timeout | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (closedAt === null && line) {
        closedAt = Date.now();
        closed = JSON.parse(line);
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve({ closed: closed!, exitedAfterMs: null, code: null });
        }, EXIT_WITHIN_MS);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (closedAt === null || !closed) {
        reject(new Error(`the host exited (${code}) before closing: ${stderr || stdout}`));
        return;
      }
      resolve({ closed, exitedAfterMs: Date.now() - closedAt, code });
    });
  });
}

// The child compiles TypeScript with tsx and opens real connections: slow on a loaded machine.
const CHILD_TIMEOUT_MS = 90_000;

describe('dalston.close() and process exit', () => {
  it(
    'a host whose engine owns the adaptersFromEnv stores exits by itself after dalston.close()',
    async () => {
      const run = await runHost('owns');
      expect(run.closed).toEqual({ closed: true, mode: 'real', last: 'job.completed' });
      expect(run.exitedAfterMs, 'the process was still alive after dalston.close()').not.toBeNull();
      expect(run.exitedAfterMs!).toBeLessThan(EXIT_WITHIN_MS);
      expect(run.code).toBe(0);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    'control: without owns (and no stores.close()) the open pool and clients keep it alive',
    async () => {
      const run = await runHost('borrows');
      expect(run.closed).toEqual({ closed: true, mode: 'real', last: 'job.completed' });
      expect(run.exitedAfterMs).toBeNull();
    },
    CHILD_TIMEOUT_MS,
  );
});
