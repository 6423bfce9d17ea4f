/** `dalston keys list|create|revoke`: a tenant's API keys, through `dalston.apiKeys`. */
import { API_KEY_SCOPES, type ApiKeyInfo } from '@dalston/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { oneOfList, time } from '../options.js';
import { iso, table } from '../output.js';
import { unwrap } from '../result.js';

const state = (k: ApiKeyInfo, now: number) =>
  k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';

export function keysCommands(program: Command, ctx: CommandContext): void {
  const keys = program.command('keys').description("a tenant's API keys: list, create, revoke");

  keys
    .command('list')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('--json', 'print JSON (never the secret: it is not stored)')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const list = await unwrap(dalston.apiKeys.list(o.tenant));
      const now = Date.now();
      ctx.out(o).print(list, (l) =>
        table(
          ['ID', 'NAME', 'PREFIX', 'SCOPES', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'],
          l.map((k) => [
            k.id,
            k.name,
            `dk_${k.prefix}`,
            k.scopes.join(','),
            state(k, now),
            iso(k.createdAt),
            iso(k.expiresAt),
            iso(k.lastUsedAt),
          ]),
        ),
      );
    });

  keys
    .command('create')
    .description('create a key; its secret is printed once and cannot be shown again')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption(
      '--scopes <list>',
      `comma-separated scopes (${API_KEY_SCOPES.join(', ')})`,
      oneOfList(API_KEY_SCOPES),
    )
    .option('--expires <time>', 'expiry (ISO 8601 or epoch ms); default never', time)
    .option('--json', 'print JSON (with the secret as `key`)')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const created = await unwrap(
        dalston.apiKeys.create({
          tenantId: o.tenant,
          name: o.name,
          scopes: o.scopes,
          ...(o.expires !== undefined ? { expiresAt: o.expires } : {}),
        }),
      );
      const out = ctx.out(o);
      out.print(created, (c) => `${c.key}\n`);
      out.note(`key ${created.record.id} created; the secret above is shown once and is not stored`);
    });

  keys
    .command('revoke')
    .description('revoke a key: requests with it are refused from now on')
    .argument('<keyId>')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .action(async (keyId: string, o) => {
      const dalston = await ctx.engine.get();
      const key = await unwrap(dalston.apiKeys.revoke(o.tenant, keyId));
      ctx.out(o).print(key, (k) => `${k.id} revoked at ${iso(k.revokedAt)}\n`);
    });
}
