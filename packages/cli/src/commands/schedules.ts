/** `dalston schedules list|get|pause|resume|remove`, through `dalston.schedules`. */
import type { Schedule } from '@dalston/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { intIn } from '../options.js';
import { fields, iso, table } from '../output.js';
import { unwrap } from '../result.js';

const scheduleFields = (s: Schedule): Array<[string, string]> => [
  ['id', s.id],
  ['tenant', s.tenantId],
  ['type', s.type ?? '(default)'],
  ['cron', `${s.cron} (${s.timezone})`],
  ['state', s.paused ? 'paused' : 'active'],
  ['next tick', iso(s.nextTick)],
  ['last tick', iso(s.lastTick)],
  ['last job', s.lastJobId ?? '-'],
  ['overlap', s.overlap],
  ['catch up', s.catchUp],
  ['parameters', JSON.stringify(s.parameters)],
];

export function schedulesCommands(program: Command, ctx: CommandContext): void {
  const schedules = program
    .command('schedules')
    .description('cron schedules: list, get, pause, resume, remove');

  schedules
    .command('list')
    .option('-n, --limit <n>', 'schedules per page, 1..1000', intIn(1, 1000), 50)
    .option('--cursor <cursor>', 'the next-page cursor a previous page printed')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const page = await unwrap(dalston.schedules.list({ limit: o.limit, cursor: o.cursor ?? null }));
      const out = ctx.out(o);
      out.print(page, (p) =>
        table(
          ['ID', 'TENANT', 'TYPE', 'CRON', 'TIMEZONE', 'STATE', 'NEXT TICK', 'LAST JOB'],
          p.items.map((s) => [
            s.id,
            s.tenantId,
            s.type ?? '-',
            s.cron,
            s.timezone,
            s.paused ? 'paused' : 'active',
            iso(s.nextTick),
            s.lastJobId ?? '-',
          ]),
        ),
      );
      if (page.nextCursor) out.note(`more: --cursor ${page.nextCursor}`);
    });

  schedules
    .command('get')
    .argument('<scheduleId>')
    .option('--json', 'print JSON (with the recent ticks)')
    .action(async (id: string, o) => {
      const dalston = await ctx.engine.get();
      const schedule = await unwrap(dalston.schedules.get(id));
      const ticks = await unwrap(dalston.schedules.ticks(id, { limit: 10 }));
      ctx.out(o).print(
        { ...schedule, ticks },
        (s) =>
          fields(scheduleFields(s)) +
          table(
            ['TICK', 'OUTCOME', 'JOB', 'REASON'],
            s.ticks.map((t) => [iso(t.tick), t.outcome, t.jobId ?? '-', t.reason ?? '']),
          ),
      );
    });

  for (const [name, describe] of [
    ['pause', 'stop firing (ticks that fall while paused never run)'],
    ['resume', 'fire again from the first tick after now'],
  ] as const) {
    schedules
      .command(name)
      .description(describe)
      .argument('<scheduleId>')
      .option('--json', 'print JSON')
      .action(async (id: string, o) => {
        const dalston = await ctx.engine.get();
        const s = await unwrap(name === 'pause' ? dalston.schedules.pause(id) : dalston.schedules.resume(id));
        ctx
          .out(o)
          .print(s, (v) => `${v.id} ${v.paused ? 'paused' : `active, next tick ${iso(v.nextTick)}`}\n`);
      });
  }

  schedules
    .command('remove')
    .argument('<scheduleId>')
    .action(async (id: string) => {
      const dalston = await ctx.engine.get();
      await unwrap(dalston.schedules.remove(id));
      ctx.io.stdout(`${id} removed\n`);
    });
}
