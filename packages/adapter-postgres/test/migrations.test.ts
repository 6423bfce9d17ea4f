/**
 * Migrations: twenty instances starting at once on an empty schema apply each migration
 * exactly once and all work afterwards; a re-run is a no-op; a newer schema is refused;
 * the shipped files are found from source.
 */
import { jobWrite, makeEvent, makeJob, makeTask } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { Database } from '../src/database.js';
import { loadMigrations, migrate, migrateDatabase, migrationsDir } from '../src/migrate.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('migrations', { migrated: false });
const old = useFileDatabase('migrations_upgrade', { migrated: false });

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

  it('0003 upgrades a version-2 database with data: unpublished events move to the outbox, old jobs update', async () => {
    const v2 = new Database(old.options());
    try {
      await migrateDatabase(v2, loadMigrations().slice(0, 2));
    } finally {
      await v2.close();
    }
    // Rows as a version-2 adapter wrote them: one event published, one not.
    const s = `"${old.schema}"`;
    const job = makeJob();
    const task = makeTask(job, { stage: 'a', status: 'ready' });
    const raw = old.raw();
    await raw.query(
      `INSERT INTO ${s}.jobs (id, tenant_id, status, parameters, retention_days, correlation_id, created_at, version)
       VALUES ($1, $2, 'pending', '{}', 1, 'c', now(), $3)`,
      [job.id, job.tenantId, job.version],
    );
    await raw.query(
      `INSERT INTO ${s}.tasks (id, job_id, tenant_id, position, stage, queue, required, status, attempt, failures,
         lost_leases, max_attempts, timeout_ms, backoff, priority, created_at, version)
       VALUES ($1, $2, $3, 0, 'a', 'q', true, 'ready', 0, 0, 0, 3, 1000, '{"kind":"none"}', 0, now(), 0)`,
      [task.id, job.id, job.tenantId],
    );
    const { rows: ev } = await raw.query<{ id: string; published: boolean }>(
      `INSERT INTO ${s}.events (type, tenant_id, job_id, payload, at, published_at)
       VALUES ('job.created', $1, $2, '{}', now(), now()), ('task.ready', $1, $2, '{}', now(), NULL)
       RETURNING id, published_at IS NOT NULL AS published`,
      [job.tenantId, job.id],
    );
    const latest = loadMigrations().length;
    // 0003 and every later migration.
    const applied = Array.from({ length: latest - 2 }, (_, i) => i + 3);
    expect(await migrate(old.options())).toEqual({ applied, version: latest });
    const store = postgresAdapters(old.options()).jobStore;
    try {
      const unpublished = await store.unpublishedEvents(Date.now() + 1000, 10);
      expect(unpublished.map((e) => e.id)).toEqual(ev.filter((e) => !e.published).map((e) => Number(e.id)));
      const r = await store.updateJob(job.id, (snap) => ({
        job: jobWrite(snap.job, { status: 'running' }),
        tasks: [],
        events: [makeEvent(job, { type: 'job.started' })],
      }));
      expect(r.applied).toBe(true);
      expect((await store.unpublishedEvents(Date.now() + 1000, 10)).length).toBe(2);
      await store.markPublished(unpublished.map((e) => e.id));
      expect((await store.unpublishedEvents(Date.now() + 1000, 10)).map((e) => e.type)).toEqual([
        'job.started',
      ]);
    } finally {
      await store.close();
    }
  });
});
