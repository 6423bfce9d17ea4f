/**
 * `adaptersFromEnv()`: the adapter set a host asks for through its environment. The three
 * real stores (PostgreSQL + Redis + S3) when `DALSTON_DATABASE_URL`, `DALSTON_REDIS_URL` and
 * `DALSTON_S3_BUCKET` are set; the in-memory set when none is. Nothing else is decided
 * here: the host passes `adapters` to `createDalston` with its own pipeline and config.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import type { DalstonAdapters, Logger } from '@dalston/core/adapter';
import { describeMemory, describeReal } from './describe.js';
import { type EnvSource, parseDalstonEnv } from './env-schema.js';
import { openRealAdapters } from './real-adapters.js';

/** Options of {@link adaptersFromEnv}. */
export interface AdaptersFromEnvOptions {
  /** The environment to read. Default `process.env`. */
  env?: EnvSource;
  /** Logger handed to the adapters that take one (Redis warnings). Default: the adapters' own (silent). */
  logger?: Logger;
  /** Apply pending PostgreSQL migrations before returning (real mode). Default true. */
  migrate?: boolean;
}

/** What {@link adaptersFromEnv} resolves to. */
export interface EnvAdapters {
  /** Every port, ready for `createDalston({ adapters, ... })`. */
  adapters: DalstonAdapters;
  /** `memory` when no real-store variable is set, `real` when all three are. */
  mode: 'memory' | 'real';
  /** Which stores are in use (hosts, schema, prefix, bucket), for logs. Never includes credentials. */
  describe(): string;
  /**
   * Closes the pool, clients and connections this call opened (none in memory mode), after
   * the host has closed its engine. Idempotent: a second call resolves at once.
   */
  close(): Promise<void>;
}

/**
 * Reads the environment and opens the adapters it selects, falling back to memory.
 *
 * Real mode loads `@dalston/adapter-postgres`, `-redis` and `-s3` (and their drivers) on
 * demand, opens one PostgreSQL pool, one Redis client and one S3 client, and migrates the
 * schema unless `migrate: false`. If anything fails, what was opened is closed again.
 *
 * @throws DalstonError `VALIDATION_FAILED` when only some of the three selecting variables
 *   are set (naming the missing ones) or a value is malformed (naming the variable, never
 *   echoing its value); nothing is opened in either case. A failed migration rejects with
 *   the PostgreSQL adapter's error after closing everything.
 */
export async function adaptersFromEnv(options: AdaptersFromEnvOptions = {}): Promise<EnvAdapters> {
  const parsed = parseDalstonEnv(options.env ?? process.env);
  if (parsed.mode === 'memory') {
    return {
      adapters: memoryAdapters(),
      mode: 'memory',
      describe: describeMemory,
      close: async () => {},
    };
  }
  const real = await openRealAdapters(parsed.env, options.logger, options.migrate !== false);
  const description = describeReal(parsed.env);
  return { adapters: real.adapters, mode: 'real', describe: () => description, close: real.close };
}
