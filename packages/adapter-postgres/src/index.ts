// Public surface of @dalston/adapter-postgres. Re-exports only.
export { type PostgresAdapters, postgresAdapters } from './adapters.js';
export { PostgresApiKeyStore } from './api-key-store.js';
export { PostgresJobStore } from './job-store.js';
export { loadMigrations, type MigrateResult, type Migration, migrate, migrationsDir } from './migrate.js';
export type {
  PostgresAdapterOptions,
  PostgresConnectionOptions,
  PostgresPoolOptions,
} from './options.js';
export { PostgresSessionArchive } from './session-archive.js';
export { PostgresTenantStore } from './tenant-store.js';
