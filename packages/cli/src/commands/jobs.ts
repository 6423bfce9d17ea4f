/** `dalston jobs list|get|inspect|cancel|retry`: a tenant's jobs, through `dalston.jobs`. */
import { JOB_STATUSES, type Job } from '@dalston/core';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { intIn, oneOfList, time } from '../options.js';
import { fields, iso, table } from '../output.js';
import { unwrap } from '../result.js';
import { renderTree } from './inspect.js';

const jobFields = (job: Job): Array<[string, string]> => [
  ['id', job.id],
  ['tenant', job.tenantId],
  ['status', job.status],
  ['created', iso(job.createdAt)],
  ['started', iso(job.startedAt)],
  ['finished', iso(job.finishedAt)],
  [
    'error',
    job.error
      ? `${job.error.code}${job.error.stage ? ` (${job.error.stage})` : ''}: ${job.error.message}`
      : '-',
  ],
  ['correlation', job.correlationId],
  ['idempotency', job.idempotencyKey ?? '-'],
  ['input', job.input ?? '-'],
  ['parameters', JSON.stringify(job.parameters)],
];

export function jobsCommands(program: Command, ctx: CommandContext): void {
  const jobs = program.command('jobs').description("a tenant's jobs: list, get, inspect, cancel, retry");

  jobs
    .command('list')
    .description("a page of the tenant's jobs, newest first")
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option(
      '-s, --status <list>',
      `comma-separated statuses (${JOB_STATUSES.join(', ')})`,
      oneOfList(JOB_STATUSES),
    )
    .option('--from <time>', 'created at or after (ISO 8601 or epoch ms)', time)
    .option('--to <time>', 'created before (ISO 8601 or epoch ms)', time)
    .option('-n, --limit <n>', 'jobs per page, 1..1000', intIn(1, 1000), 50)
    .option('--cursor <cursor>', 'the next-page cursor a previous page printed')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const dalston = await ctx.engine.get();
      const page = await unwrap(
        dalston.jobs.list({
          tenantId: o.tenant,
          limit: o.limit,
          ...(o.status ? { status: o.status } : {}),
          ...(o.from !== undefined ? { from: o.from } : {}),
          ...(o.to !== undefined ? { to: o.to } : {}),
          ...(o.cursor ? { cursor: o.cursor } : {}),
        }),
      );
      const out = ctx.out(o);
      out.print(page, (p) =>
        table(
          ['ID', 'STATUS', 'CREATED', 'FINISHED', 'ERROR'],
          p.jobs.map((j) => [j.id, j.status, iso(j.createdAt), iso(j.finishedAt), j.error?.code ?? '']),
        ),
      );
      if (page.nextCursor) out.note(`more: --cursor ${page.nextCursor}`);
    });

  jobs
    .command('get')
    .description('one job')
    .argument('<jobId>')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .action(async (jobId: string, o) => {
      const dalston = await ctx.engine.get();
      const job = await unwrap(dalston.jobs.get(o.tenant, jobId));
      ctx.out(o).print(job, (j) => fields(jobFields(j)));
    });

  jobs
    .command('inspect')
    .description('the job as a tree of its tasks: state, attempt, timing, error')
    .argument('<jobId>')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('--json', 'print JSON (the job with its tasks and edges)')
    .action(async (jobId: string, o) => {
      const dalston = await ctx.engine.get();
      const job = await unwrap(dalston.jobs.get(o.tenant, jobId));
      ctx.out(o).print(job, renderTree);
    });

  jobs
    .command('cancel')
    .description('cancel a job; running handlers see their AbortSignal fire (a finished job stays as it is)')
    .argument('<jobId>')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('-r, --reason <text>', 'recorded with the cancellation')
    .option('--json', 'print JSON')
    .action(async (jobId: string, o) => {
      const dalston = await ctx.engine.get();
      const job = await unwrap(dalston.jobs.cancel(o.tenant, jobId, o.reason));
      ctx.out(o).print(job, (j) => `${j.id} ${j.status}\n`);
    });

  jobs
    .command('retry')
    .description('retry a failed job: its failed and skipped tasks run again')
    .argument('<jobId>')
    .requiredOption('-t, --tenant <id>', 'tenant id')
    .option('--json', 'print JSON')
    .action(async (jobId: string, o) => {
      const dalston = await ctx.engine.get();
      const job = await unwrap(dalston.jobs.retry(o.tenant, jobId));
      ctx.out(o).print(job, (j) => `${j.id} ${j.status}\n`);
    });
}
