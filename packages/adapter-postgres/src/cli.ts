#!/usr/bin/env node
/**
 * `dalston-pg migrate --url postgres://… [--schema dalston]`: applies pending migrations.
 * The URL may also come from DATABASE_URL. Exit code 0 on success, 1 on failure; the
 * connection string is never printed.
 */
import { parseArgs } from 'node:util';
import { isDalstonError } from '@dalston/core/adapter';
import { migrate } from './migrate.js';

const USAGE = 'usage: dalston-pg migrate --url postgres://user@host:5432/db [--schema dalston]';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'migrate') {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const url = values.url ?? process.env.DATABASE_URL;
  if (!url) {
    console.error(`dalston-pg: --url (or DATABASE_URL) is required\n${USAGE}`);
    return 1;
  }
  const schema = values.schema ?? 'dalston';
  const result = await migrate({ connectionString: url, schema });
  console.log(
    result.applied.length === 0
      ? `dalston-pg: schema ${schema} is current (version ${result.version})`
      : `dalston-pg: schema ${schema} migrated to version ${result.version} (applied ${result.applied.join(', ')})`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`dalston-pg: ${isDalstonError(e) ? e.message : 'migration failed'}`);
    process.exitCode = 1;
  },
);
