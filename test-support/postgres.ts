/**
 * PostgreSQL for tests (shared by every package's tests).
 *
 * `testDatabase()`: the server at DALSTON_TEST_DATABASE_URL when set; otherwise a
 * PostgreSQL container through testcontainers when a container runtime answers;
 * otherwise it throws, saying how to provide one. It never skips silently.
 *
 * `testSchema(label)`: a database plus a schema name unique to the calling test file,
 * and a cleanup that drops the schema (and stops a container it started).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

const HOW_TO =
  'No PostgreSQL for tests: set DALSTON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test ' +
  '(any database the tests may create schemas in) or start a Docker engine so testcontainers can run postgres.';

export async function testDatabase(): Promise<TestDatabase> {
  const url = process.env.DALSTON_TEST_DATABASE_URL;
  if (url) return { url, stop: async () => {} };
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (cause) {
    throw new Error(HOW_TO, { cause });
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:16-alpine').start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}

export interface TestSchema {
  url: string;
  /** A fresh schema name (not created: migrate() creates it). */
  schema: string;
  /** Drops the schema with everything in it, then releases the database. */
  cleanup(): Promise<void>;
}

/** A schema name unique to this call: `t_<label>_<random>`, a valid lower-case identifier. */
export function uniqueSchemaName(label = 'test'): string {
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  return `t_${safe}_${randomBytes(6).toString('hex')}`;
}

export async function testSchema(label: string): Promise<TestSchema> {
  const db = await testDatabase();
  const schema = uniqueSchemaName(label);
  return {
    url: db.url,
    schema,
    async cleanup() {
      const client = new pg.Client({ connectionString: db.url });
      try {
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end().catch(() => {});
        await db.stop();
      }
    },
  };
}
