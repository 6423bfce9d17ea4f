/**
 * An S3-compatible server for tests.
 *
 * - `DALSTON_TEST_S3_ENDPOINT` set (and `own` not asked for): use that server, with
 *   `DALSTON_TEST_S3_ACCESS_KEY_ID` / `DALSTON_TEST_S3_SECRET_ACCESS_KEY` (default `S3RVER`),
 *   `DALSTON_TEST_S3_REGION` (default `us-east-1`); a fresh bucket is created. Set
 *   `DALSTON_TEST_S3_KIND=s3rver` when that server is an s3rver (tests then declare its limits).
 * - Otherwise s3rver runs as a child process (`node --openssl-legacy-provider .../s3rver.js`)
 *   on a free loopback port with a temporary directory, so `pid` is the server's own and a
 *   fault test can kill and restart it without disturbing anyone else.
 *
 * Clients get `forcePathStyle` and checksums `WHEN_REQUIRED` (s3rver stores the SDK's
 * streaming checksum framing inside the object otherwise; see TOOLCHAIN.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3ServerOptions {
  /** Always start a private s3rver (fault tests that kill the server). Default false. */
  own?: boolean;
  /** Bucket to create. Default: `dalston-test-<random>`. */
  bucket?: string;
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Whether this is a local s3rver (no multipart abort/listing, no signature or checksum checks). */
  isS3rver: boolean;
  /** A client configured for this server. */
  client: S3Client;
  /** The server's pid (changes on restart); undefined for an external endpoint. */
  readonly pid: number | undefined;
  /** SIGKILLs the server, keeping its data directory. */
  kill(): Promise<void>;
  /** Kills (if running) and starts the server again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops the server, destroys the client and removes the temporary directory. */
  stop(): Promise<void>;
}

const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function s3ClientFor(endpoint: string, region: string, credentials: S3Server['credentials']) {
  return new S3Client({
    endpoint,
    region,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  });
}

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? `dalston-test-${randomBytes(4).toString('hex')}`;
  const external = process.env.DALSTON_TEST_S3_ENDPOINT;
  if (external && !opts.own) return externalServer(external, bucket);
  return localS3rver(bucket);
}

async function externalServer(endpoint: string, bucket: string): Promise<S3Server> {
  const region = process.env.DALSTON_TEST_S3_REGION ?? 'us-east-1';
  const credentials = {
    accessKeyId: process.env.DALSTON_TEST_S3_ACCESS_KEY_ID ?? S3RVER_CREDENTIALS.accessKeyId,
    secretAccessKey: process.env.DALSTON_TEST_S3_SECRET_ACCESS_KEY ?? S3RVER_CREDENTIALS.secretAccessKey,
  };
  const client = s3ClientFor(endpoint, region, credentials);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const unsupported = async () => {
    throw new Error('DALSTON_TEST_S3_ENDPOINT is external: start with { own: true } to kill or restart');
  };
  return {
    endpoint,
    bucket,
    region,
    credentials,
    isS3rver: process.env.DALSTON_TEST_S3_KIND === 's3rver',
    client,
    pid: undefined,
    kill: unsupported,
    restart: unsupported,
    stop: async () => client.destroy(),
  };
}

async function localS3rver(bucket: string): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'dalston-s3rver-'));
  let port = 0;
  let endpoint = '';
  const region = 'us-east-1';
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawnS3rver(dir, port);
    await waitUntilAnswering(endpoint, child);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };

  // A port found free can be taken by another process before s3rver binds it (EADDRINUSE,
  // the child exits at once): the first start tries another port. Restarts keep theirs.
  for (let tries = 1; ; tries++) {
    port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    try {
      await start();
      break;
    } catch (e) {
      if (tries >= 5 || child?.exitCode === null) throw e;
    }
  }
  const client = s3ClientFor(endpoint, region, S3RVER_CREDENTIALS);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoint,
    bucket,
    region,
    credentials: S3RVER_CREDENTIALS,
    isS3rver: true,
    client,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      client.destroy();
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function spawnS3rver(dir: string, port: number): ChildProcess {
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const args = [
    '--openssl-legacy-provider',
    bin,
    '-d',
    dir,
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '--silent',
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4_000) stderr += d.toString();
  });
  // Safety net: never leave a server behind when the test process exits without stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', (code) => {
    process.removeListener('exit', killOnExit);
    if (code !== null && code !== 0) console.error(`s3rver exited with ${code}: ${stderr}`);
  });
  return child;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`s3rver exited early with code ${child.exitCode}`);
    try {
      const res = await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`s3rver at ${endpoint} did not answer within ${timeoutMs} ms`);
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
