/**
 * The whole-engine flow suite with PostgreSQL as the source of truth (JobStore,
 * TenantStore, ApiKeyStore, SessionArchive) and the memory set for every other port.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { engineContract, realTime } from '@dalston/core/contract';
import pg from 'pg';
import { afterAll } from 'vitest';
import { postgresAdapters } from '../src/index.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('engine_contract');
let pool: pg.Pool | null = null;
afterAll(async () => {
  await pool?.end();
});

engineContract('postgres + memory', async () => {
  if (!pool) {
    pool = new pg.Pool({ connectionString: db.url, max: 10 });
    pool.on('error', () => {}); // once per pool, not per test
  }
  const postgres = postgresAdapters({ pool, schema: db.schema });
  return {
    adapters: { ...memoryAdapters(), ...pickStores(postgres) },
    time: realTime,
    cleanup: async () => {},
  };
});

function pickStores(p: ReturnType<typeof postgresAdapters>) {
  return {
    jobStore: p.jobStore,
    tenantStore: p.tenantStore,
    apiKeyStore: p.apiKeyStore,
    sessionArchive: p.sessionArchive,
  };
}
