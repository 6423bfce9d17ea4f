/**
 * A private PostgreSQL cluster for fault tests that stop and start the server itself:
 * `initdb` into a temporary folder owned by the `postgres` OS user, then `pg_ctl` (run as
 * that user with `runuser` when the test runs as root) on a free loopback port. Trust
 * authentication, database `postgres`. Nothing of the shared server on :5432 is touched.
 *
 * `stop('immediate')` is a crash as far as clients are concerned (every backend is killed
 * without a goodbye, the next start runs crash recovery); `start()` starts it again on the
 * same port and data. `destroy()` stops it and removes the folder.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  /** `pg_ctl stop -m <mode>` (waits until the postmaster is gone). */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** `pg_ctl start` on the same port and data (waits until it accepts connections). */
  start(): Promise<void>;
  /** Stops the server (if running) and removes its folder. Idempotent. */
  destroy(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): Promise<string>;
}

/** The newest installed PostgreSQL's bin folder (Debian layout), or PATH. */
async function binDir(): Promise<string> {
  if (process.env.DALSTON_PG_BIN) return process.env.DALSTON_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = await readdir(base).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) {
    throw new Error(
      `no PostgreSQL server binaries under ${base}: install postgresql or set DALSTON_PG_BIN to the folder holding initdb and pg_ctl`,
    );
  }
  return join(base, newest, 'bin');
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
async function pgRun(bin: string, tool: string, args: string[]): Promise<string> {
  const file = join(bin, tool);
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    const { stdout } = await run(cmd, argv, { timeout: 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr || err.stdout || err.message}`);
  }
}

async function ownedByPostgres(path: string): Promise<void> {
  if (!isRoot()) return;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(path, uid, gid);
}

/** initdb + pg_ctl start on a free port; resolves when the server accepts connections. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = await mkdtemp(join(tmpdir(), 'dalston-pg-'));
  await ownedByPostgres(dir);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  await pgRun(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  // The socket lives in the folder (not /var/run/postgresql, which belongs to the shared
  // server). fsync off: the fault kills the postmaster, not the machine, so the OS still
  // holds every write; crash recovery still runs on the next start.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c max_connections=200`;
  let running = false;
  const start = async () => {
    await pgRun(bin, 'pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options]);
    running = true;
  };
  const stop = async (mode: 'immediate' | 'fast' = 'fast') => {
    if (!running) return;
    await pgRun(bin, 'pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
    running = false;
  };
  try {
    await start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let destroyed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
}
