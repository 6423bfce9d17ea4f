/**
 * Test helpers for the PostgreSQL adapter: one migrated schema per test file, stores on
 * it, and a raw pg client for second-channel checks.
 */
import { type PortFactory, realTime } from '@dalston/core/contract';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { testSchema } from '../../../test-support/postgres.js';
import { Database } from '../src/database.js';
import { migrate } from '../src/migrate.js';
import type { PostgresConnectionOptions } from '../src/options.js';

export interface FileDatabase {
  url: string;
  schema: string;
  /** Connection options for a store on this file's schema. */
  options(extra?: Partial<PostgresConnectionOptions>): PostgresConnectionOptions;
  /** A raw client (second channel), connected; ended after the file. */
  raw(): pg.Pool;
  /** One adapter Database (pool) for the whole file: stores built on it leave it open on close(). */
  shared(): Database;
}

/** Registers beforeAll/afterAll: a fresh schema for this test file, migrated, dropped at the end. */
export function useFileDatabase(label: string, { migrated = true } = {}): FileDatabase {
  let url = '';
  let schema = '';
  let cleanup: () => Promise<void> = async () => {};
  let rawPool: pg.Pool | null = null;
  let shared: Database | null = null;
  beforeAll(async () => {
    const s = await testSchema(label);
    url = s.url;
    schema = s.schema;
    cleanup = s.cleanup;
    if (migrated) await migrate({ connectionString: url, schema });
  });
  afterAll(async () => {
    await rawPool?.end();
    await shared?.close();
    await cleanup();
  });
  return {
    get url() {
      return url;
    },
    get schema() {
      return schema;
    },
    options: (extra = {}) => ({ connectionString: url, schema, max: 4, ...extra }),
    shared() {
      shared ??= new Database({ connectionString: url, schema, max: 8 });
      return shared;
    },
    raw() {
      if (!rawPool) {
        rawPool = new pg.Pool({ connectionString: url, max: 4 });
        rawPool.on('error', () => {});
      }
      return rawPool;
    },
  };
}

/** A contract factory: a fresh store per test on the file's schema, on real time. */
export function storeFactory<T>(build: () => T, close: (port: T) => Promise<void>): PortFactory<T> {
  return async () => {
    const port = build();
    return { port, time: realTime, cleanup: () => close(port) };
  };
}
