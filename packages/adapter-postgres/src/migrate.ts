/**
 * Schema migrations: the `.sql` files in the package's `migrations/` folder, named
 * `NNNN_name.sql`, applied in order by `migrate()` in ONE transaction under a
 * transaction-scoped advisory lock keyed by the schema, and recorded in
 * `{schema}.dalston_migrations`. Any number of instances may call it at once: the first
 * applies what is missing, the others wait for the lock and then find nothing to do.
 * A database recorded at a newer version than this code knows is refused.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DalstonError } from '@dalston/core/adapter';
import { Database } from './database.js';
import type { PostgresAdapterOptions } from './options.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  applied: number[];
  /** The schema's version after the call. */
  version: number;
}

/** The folder holding the shipped migrations, next to `src/` (source) or `dist/` (build). */
export function migrationsDir(): string {
  return fileURLToPath(new URL('../migrations/', import.meta.url));
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Reads and orders the migration files. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, m: FILE.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
    .map(({ file, m }) => ({
      version: Number(m[1]),
      name: m[2]!,
      sql: readFileSync(join(dir, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`@dalston/adapter-postgres: migration ${i + 1} is missing`);
  });
  return migrations;
}

/** Applies the pending migrations on `db` (see the module comment). */
export async function migrateDatabase(db: Database, migrations = loadMigrations()): Promise<MigrateResult> {
  const latest = migrations.length;
  const s = `"${db.schemaName}"`;
  return db.transaction('jobStore', 'migrate', async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `dalston.migrate.${db.schemaName}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.dalston_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await tx.query<{ v: number }>(
      `SELECT coalesce(max(version), 0)::int AS v FROM ${s}.dalston_migrations`,
    );
    const current = rows[0]!.v;
    if (current > latest) {
      throw new DalstonError(
        'CONFLICT',
        `@dalston/adapter-postgres: schema ${db.schemaName} is at migration ${current}, newer than this ` +
          `package knows (${latest}). Upgrade @dalston/adapter-postgres before running against it.`,
        {
          store: 'jobStore',
          operation: 'migrate',
          details: { databaseVersion: current, codeVersion: latest },
        },
      );
    }
    const applied: number[] = [];
    await tx.query(`SET LOCAL search_path TO ${s}`);
    for (const m of migrations.filter((x) => x.version > current)) {
      await tx.query(m.sql);
      await tx.query(`INSERT INTO ${s}.dalston_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return { applied, version: Math.max(current, latest) };
  });
}

/** Opens a connection with `options`, applies pending migrations, closes what it opened. */
export async function migrate(options: PostgresAdapterOptions): Promise<MigrateResult> {
  const db = new Database(options);
  try {
    return await migrateDatabase(db);
  } finally {
    await db.close();
  }
}
