/**
 * What an operator sees when the host cannot start: the example server is started as its
 * own process with settings that carry a password and cannot work (a malformed URL, an
 * unreachable database). It must exit non-zero, say which variable is wrong, and never
 * print the password — including in the error, its causes and the driver's own output,
 * as Node prints an uncaught error.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'Crash-Pa55-SECRET';
let listener: Server;
let port: number;

beforeAll(async () => {
  listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: exampleDir,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: `${exampleDir}tsconfig.json`,
      PORT: '0',
      DALSTON_INLINE_WORKER: '0',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

const env = (overrides: Record<string, string>) => ({
  DALSTON_DATABASE_URL: `postgres://app:${SECRET}@127.0.0.1:${port}/app`,
  DALSTON_REDIS_URL: `redis://:${SECRET}@127.0.0.1:${port}/0`,
  DALSTON_S3_BUCKET: 'dalston-bucket',
  DALSTON_S3_ENDPOINT: `http://127.0.0.1:${port}`,
  DALSTON_S3_ACCESS_KEY_ID: 'key-id',
  DALSTON_S3_SECRET_ACCESS_KEY: SECRET,
  ...overrides,
});

describe('the crash output of a host that cannot start names no password', () => {
  it.each([
    ['DALSTON_REDIS_URL', { DALSTON_REDIS_URL: `redis://user:${SECRET}@127.0.0.1:notaport/0` }],
    ['DALSTON_DATABASE_URL', { DALSTON_DATABASE_URL: `postgres://app:${SECRET}@[bad/app` }],
    ['jobStore.migrate', {}],
  ] as const)('%s', { timeout: 60_000 }, async (named, overrides) => {
    const { code, output } = await run(env(overrides));
    expect(code).not.toBe(0);
    expect(output).toContain(named);
    expect(output).not.toContain(SECRET);
  });
});
