/**
 * A memory-only host never loads the real adapters or their drivers: a child process runs
 * `adaptersFromEnv({ env: {} })` under tsx with a module resolve hook that records every
 * module it resolves. The control run imports the PostgreSQL adapter afterwards, proving
 * the recorder does see a driver when one is loaded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const REAL = [
  /\/adapter-postgres\//,
  /\/adapter-redis\//,
  /\/adapter-s3\//,
  /\/node_modules\/(pg|ioredis|@aws-sdk)\//,
];

async function modulesResolvedBy(arg: string): Promise<{ stdout: string; urls: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dalston-env-loads-'));
  const log = join(dir, 'resolved.txt');
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--import', fixture('record-loads.mjs'), fixture('memory-host.ts'), arg],
      { cwd: root, env: { ...process.env, DALSTON_LOAD_LOG: log }, timeout: 80_000 },
    );
    return { stdout, urls: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const realModules = (urls: string[]) => urls.filter((u) => REAL.some((re) => re.test(u)));

// Each case starts a Node process that compiles TypeScript with tsx: slow on a loaded machine.
const CHILD_TIMEOUT_MS = 90_000;

describe('lazy loading', () => {
  it(
    'a memory-only host loads no real adapter and no driver',
    async () => {
      const { stdout, urls } = await modulesResolvedBy('memory-only');
      expect(JSON.parse(stdout.trim())).toEqual({ mode: 'memory' });
      expect(urls.some((u) => u.includes('/packages/env/src/'))).toBe(true);
      expect(urls.some((u) => u.includes('/adapter-memory/'))).toBe(true);
      expect(realModules(urls)).toEqual([]);
    },
    CHILD_TIMEOUT_MS,
  );

  it(
    'control: the recorder sees the PostgreSQL adapter and pg once something imports them',
    async () => {
      const { urls } = await modulesResolvedBy('load-postgres');
      const seen = realModules(urls);
      expect(seen.some((u) => u.includes('/adapter-postgres/'))).toBe(true);
      expect(seen.some((u) => u.includes('/node_modules/pg/'))).toBe(true);
    },
    CHILD_TIMEOUT_MS,
  );
});
