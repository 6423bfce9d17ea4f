/** `dalston tenants list|get|create|disable|enable|limits`, through `dalston.tenants`. */
import type { Tenant } from '@dalston/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { intIn } from '../options.js';
import { fields, iso, table } from '../output.js';
import { unwrap } from '../result.js';

const limitsText = (t: Tenant) =>
  Object.keys(t.limits).length === 0 ? 'defaults' : JSON.stringify(t.limits);

const tenantFields = (t: Tenant): Array<[string, string]> => [
  ['id', t.id],
  ['name', t.name],
  ['disabled', String(t.disabled)],
  ['created', iso(t.createdAt)],
  ['limits', limitsText(t)],
];

export function tenantsCommands(program: Command, ctx: CommandContext): void {
  const tenants = program
    .command('tenants')
    .description('tenants: list, get, create, disable, enable, limits');

  tenants
    .command('list')
    .description('tenants by id')
    .option('-n, --limit <n>', 'tenants per page, 1..1000', intIn(1, 1000), 100)
    .option('--cursor <id>', 'the next-page cursor a previous page printed')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const page = await unwrap(dalston.tenants.list({ limit: o.limit, cursor: o.cursor ?? null }));
      const out = ctx.out(o);
      out.print(page, (p) =>
        table(
          ['ID', 'NAME', 'DISABLED', 'CREATED', 'LIMITS'],
          p.tenants.map((t) => [t.id, t.name, String(t.disabled), iso(t.createdAt), limitsText(t)]),
        ),
      );
      if (page.nextCursor) out.note(`more: --cursor ${page.nextCursor}`);
    });

  tenants
    .command('get')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, o) => {
      const dalston = await ctx.engine.get();
      const tenant = await unwrap(dalston.tenants.get(tenantId));
      ctx.out(o).print(tenant, (t) => fields(tenantFields(t)));
    });

  tenants
    .command('create')
    .description('create a tenant')
    .requiredOption('--name <name>', 'display name')
    .option('--id <id>', 'tenant id ([A-Za-z0-9_-], 1..64); default a generated one')
    .option('--concurrent-jobs <n>', 'non-terminal jobs at once', intIn(1, 1_000_000))
    .option('--concurrent-sessions <n>', 'live sessions at once', intIn(1, 1_000_000))
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const limits = {
        ...(o.concurrentJobs !== undefined ? { concurrentJobs: o.concurrentJobs } : {}),
        ...(o.concurrentSessions !== undefined ? { concurrentSessions: o.concurrentSessions } : {}),
      };
      const tenant = await unwrap(
        dalston.tenants.create({ name: o.name, limits, ...(o.id ? { id: o.id } : {}) }),
      );
      ctx.out(o).print(tenant, (t) => fields(tenantFields(t)));
    });

  tenants
    .command('limits')
    .description(
      "replace the tenant's limit overrides (options not given fall back to the engine's defaults)",
    )
    .argument('<tenantId>')
    .option('--concurrent-jobs <n>', 'non-terminal jobs at once', intIn(1, 1_000_000))
    .option('--concurrent-sessions <n>', 'live sessions at once', intIn(1, 1_000_000))
    .option('--json', 'print JSON')
    .action(async (tenantId: string, o) => {
      const dalston = await ctx.engine.get();
      const current = await unwrap(dalston.tenants.get(tenantId));
      const { concurrentJobs: _j, concurrentSessions: _s, ...kept } = current.limits;
      const limits = {
        ...kept,
        ...(o.concurrentJobs !== undefined ? { concurrentJobs: o.concurrentJobs } : {}),
        ...(o.concurrentSessions !== undefined ? { concurrentSessions: o.concurrentSessions } : {}),
      };
      const tenant = await unwrap(dalston.tenants.updateLimits(tenantId, limits));
      ctx.out(o).print(tenant, (t) => fields(tenantFields(t)));
    });

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    tenants
      .command(name)
      .description(disabled ? "refuse the tenant's submits and sessions (FORBIDDEN)" : 'accept them again')
      .argument('<tenantId>')
      .option('--json', 'print JSON')
      .action(async (tenantId: string, o) => {
        const dalston = await ctx.engine.get();
        const tenant = await unwrap(dalston.tenants.disable(tenantId, disabled));
        ctx.out(o).print(tenant, (t) => `${t.id} ${t.disabled ? 'disabled' : 'enabled'}\n`);
      });
  }
}
