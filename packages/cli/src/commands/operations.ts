/** `dalston migrate`, `dalston health`, `dalston reconcile`. */
import { migrate } from '@dalston/adapter-postgres';
import { DalstonError } from '@dalston/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { fields, table } from '../output.js';
import { unwrap } from '../result.js';

export function operationsCommands(program: Command, ctx: CommandContext): void {
  program
    .command('migrate')
    .description(
      'apply pending PostgreSQL migrations to DALSTON_DATABASE_URL (schema DALSTON_DATABASE_SCHEMA)',
    )
    .option('--json', 'print JSON')
    .action(async (o) => {
      const url = ctx.io.env.DALSTON_DATABASE_URL;
      if (!url)
        throw new DalstonError('VALIDATION_FAILED', 'DALSTON_DATABASE_URL is required', {
          field: 'DALSTON_DATABASE_URL',
        });
      // Only the database variables matter here; the Redis and S3 ones need not be set.
      const schema = ctx.io.env.DALSTON_DATABASE_SCHEMA || 'dalston';
      const result = await migrate({ connectionString: url, schema });
      ctx
        .out(o)
        .print({ schema, ...result }, (r) =>
          r.applied.length === 0
            ? `schema ${schema} is current (version ${r.version})\n`
            : `schema ${schema} migrated to version ${r.version} (applied ${r.applied.join(', ')})\n`,
        );
    });

  program
    .command('health')
    .description(`ping every store; exit ${EXIT.UNAVAILABLE} when one does not answer`)
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const report = await unwrap(dalston.health.check());
      ctx.out(o).print(report, (r) =>
        table(
          ['STORE', 'OK', 'LATENCY MS', 'ERROR'],
          Object.entries(r.stores).map(([name, s]) => [
            name,
            s.ok ? 'yes' : 'NO',
            String(Math.round(s.latencyMs)),
            s.error ? `${s.error.code}: ${s.error.message}` : '',
          ]),
        ),
      );
      if (!report.ready) ctx.fail(EXIT.UNAVAILABLE);
    });

  program
    .command('reconcile')
    .description('run one reconcile pass now: re-enqueue ready work, expire leases, resync slots')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const counts = await unwrap(dalston.maintenance.reconcile());
      ctx.out(o).print(counts, (c) =>
        fields([
          ['requeued', String(c.requeued)],
          ['leases expired', String(c.leasesExpired)],
          ['dead-lettered', String(c.deadLettered)],
          ['tenants resynced', String(c.tenantsResynced)],
          ['skipped', c.skipped.length === 0 ? '-' : `${c.skipped.join(', ')} (running in another instance)`],
        ]),
      );
    });
}
