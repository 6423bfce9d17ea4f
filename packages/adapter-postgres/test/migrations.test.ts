/**
 * Migrations: twenty instances starting at once on an empty schema apply each migration
 * exactly once and all work afterwards; a re-run is a no-op; a newer schema is refused;
 * the shipped files are found from source.
 */
import { makeJob } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { loadMigrations, migrate, migrationsDir } from '../src/migrate.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('migrations', { migrated: false });

describe('postgres: migrations', () => {
  it('ships numbered .sql files, found next to the sources', () => {
    const migrations = loadMigrations();
    expect(migrationsDir()).toMatch(/adapter-postgres[\\/]migrations[\\/]$/);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations[0]!.sql).toContain('CREATE TABLE jobs');
  });

  it('20 instances migrating an empty schema at once apply each migration exactly once', async () => {
    const instances = Array.from({ length: 20 }, () => postgresAdapters(db.options({ max: 2 })));
    try {
      const t0 = performance.now();
      const results = await Promise.all(instances.map((a) => a.migrate()));
      const elapsed = performance.now() - t0;
      const latest = loadMigrations().length;
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      expect(results.flatMap((r) => r.applied)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      for (const r of results) expect(r.version).toBe(latest);
      const { rows } = await db
        .raw()
        .query(
          `SELECT version, count(*)::int AS n FROM "${db.schema}".dalston_migrations GROUP BY version ORDER BY version`,
        );
      expect(rows).toEqual(Array.from({ length: latest }, (_, i) => ({ version: i + 1, n: 1 })));
      // Every instance works afterwards.
      await Promise.all(
        instances.map(async (a) => {
          const job = makeJob();
          expect((await a.jobStore.createJob({ job, tasks: [], events: [] })).created).toBe(true);
        }),
      );
      console.info(`[figures] 20 concurrent migrate() on an empty schema: ${elapsed.toFixed(0)} ms`);
    } finally {
      await Promise.all(instances.map((a) => a.close()));
    }
  });

  it('is a no-op on a current schema', async () => {
    expect(await migrate(db.options())).toEqual({ applied: [], version: loadMigrations().length });
  });

  it('refuses a schema recorded at a newer version than the code knows', async () => {
    await db
      .raw()
      .query(`INSERT INTO "${db.schema}".dalston_migrations (version, name) VALUES (999, 'from_the_future')`);
    try {
      await expect(migrate(db.options())).rejects.toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(/at migration 999, newer than this package knows/),
      });
    } finally {
      await db.raw().query(`DELETE FROM "${db.schema}".dalston_migrations WHERE version = 999`);
    }
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() =>
      postgresAdapters({ connectionString: db.url, schema: 'x"; DROP SCHEMA public; --' }),
    ).toThrow(/option schema/);
  });
});
