/** `dalston queues stats|pause|resume` and `dalston dead-letters list|redrive|discard`. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { intIn } from '../options.js';
import { iso, table } from '../output.js';
import { unwrap } from '../result.js';

export function queuesCommands(program: Command, ctx: CommandContext): void {
  const queues = program.command('queues').description('work queues: counts, durable pause and resume');

  queues
    .command('stats')
    .description('per queue: ready, delayed, leased, dead, paused')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const stats = await unwrap(dalston.queues.stats());
      ctx.out(o).print(stats, (s) =>
        table(
          ['QUEUE', 'READY', 'DELAYED', 'LEASED', 'DEAD', 'STATE'],
          s.map((q) => [
            q.queue,
            String(q.ready),
            String(q.delayed),
            String(q.leased),
            String(q.dead),
            q.paused ? 'paused' : 'active',
          ]),
        ),
      );
    });

  for (const [name, describe] of [
    ['pause', 'stop every worker of every engine from leasing the queue (running work finishes)'],
    ['resume', 'let workers lease the queue again'],
  ] as const) {
    queues
      .command(name)
      .description(describe)
      .argument('<queue>')
      .option('--json', 'print JSON')
      .action(async (queue: string, o) => {
        const dalston = await ctx.engine.get();
        const control = await unwrap(
          name === 'pause' ? dalston.queues.pause(queue) : dalston.queues.resume(queue),
        );
        ctx.out(o).print(control, (c) => `${c.queue} ${c.paused ? 'paused' : 'resumed'}\n`);
      });
  }

  const letters = program
    .command('dead-letters')
    .description("a queue's dead letters: list, redrive, discard");

  letters
    .command('list')
    .argument('<queue>')
    .option('-n, --limit <n>', 'letters per page, 1..1000', intIn(1, 1000), 100)
    .option('--cursor <cursor>', 'the next-page cursor a previous page printed')
    .option('--json', 'print JSON')
    .action(async (queue: string, o) => {
      const dalston = await ctx.engine.get();
      const page = await unwrap(
        dalston.deadLetters.list(queue, { limit: o.limit, ...(o.cursor ? { cursor: o.cursor } : {}) }),
      );
      const out = ctx.out(o);
      out.print(page, (p) =>
        table(
          ['ID', 'TENANT', 'JOB', 'STAGE', 'TASK', 'DELIVERIES', 'DEAD AT', 'REASON'],
          p.items.map((l) => [
            l.id,
            l.tenantId ?? '-',
            l.jobId ?? '-',
            l.stage ?? '-',
            l.taskStatus ?? '-',
            String(l.deliveries),
            iso(l.deadAt),
            l.reason,
          ]),
        ),
      );
      if (page.nextCursor) out.note(`more: --cursor ${page.nextCursor}`);
    });

  letters
    .command('redrive')
    .description("give the letter's task a new attempt ('all': every letter of the queue)")
    .argument('<queue>')
    .argument('<id>', "a letter id, or 'all'")
    .option('--json', 'print JSON')
    .action(async (queue: string, id: string, o) => {
      const dalston = await ctx.engine.get();
      const report = await unwrap(dalston.deadLetters.redrive(queue, id));
      ctx
        .out(o)
        .print(
          report,
          (r) =>
            `redriven ${r.redriven.length}${r.redriven.map((x) => `\n  ${x.id}  ${x.outcome}`).join('')}` +
            `${r.skipped.length ? `\nskipped ${r.skipped.length}${r.skipped.map((x) => `\n  ${x.id}  ${x.code}: ${x.message}`).join('')}` : ''}\n`,
        );
    });

  letters
    .command('discard')
    .description("remove the letter; its task stays failed ('all': every letter of the queue)")
    .argument('<queue>')
    .argument('<id>', "a letter id, or 'all'")
    .option('--json', 'print JSON')
    .action(async (queue: string, id: string, o) => {
      const dalston = await ctx.engine.get();
      const report = await unwrap(dalston.deadLetters.discard(queue, id));
      ctx.out(o).print(report, (r) => `discarded ${r.discarded}\n`);
    });
}
