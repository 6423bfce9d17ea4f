/**
 * `postgresAdapters(options)`: the four PostgreSQL-backed stores on one pool, plus
 * `migrate()` and `close()`. `close()` ends the pool only when the adapter created it.
 */
import { PostgresApiKeyStore } from './api-key-store.js';
import { Database } from './database.js';
import { PostgresJobStore } from './job-store.js';
import { type MigrateResult, migrateDatabase } from './migrate.js';
import type { PostgresAdapterOptions } from './options.js';
import { PostgresSessionArchive } from './session-archive.js';
import { PostgresTenantStore } from './tenant-store.js';

export interface PostgresAdapters {
  jobStore: PostgresJobStore;
  tenantStore: PostgresTenantStore;
  apiKeyStore: PostgresApiKeyStore;
  sessionArchive: PostgresSessionArchive;
  /** Applies pending migrations (safe when many instances call it at once). */
  migrate(): Promise<MigrateResult>;
  /** Ends the pool if the adapter created it; the host's pool is left open. Idempotent. */
  close(): Promise<void>;
}

export function postgresAdapters(options: PostgresAdapterOptions): PostgresAdapters {
  const db = new Database(options);
  return {
    jobStore: new PostgresJobStore(db),
    tenantStore: new PostgresTenantStore(db),
    apiKeyStore: new PostgresApiKeyStore(db),
    sessionArchive: new PostgresSessionArchive(db),
    migrate: () => migrateDatabase(db),
    close: () => db.close(),
  };
}
