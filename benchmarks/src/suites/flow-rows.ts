/**
 * The rows of the flow suite: throughput ratios (Dalston against graphile-worker, BullMQ
 * flows, pg-boss and the commit-rate limit), CPU and statements per job, submit-to-start
 * latency; plus a line of ranges over the repetitions.
 */
import type { PerJob } from '../lib/cost.js';
import type { BenchOptions } from '../lib/options.js';
import { add } from '../lib/report.js';
import type { ConcurrencyFigures, Contender, FlowFigures } from './flow.js';

const SUITE = '2 flow';
const GRAPHILE = 'graphile-worker 0.18.0';
const BULL = 'BullMQ 6.7.0 FlowProducer';
const PGBOSS = 'pg-boss 10.4.2';

const cpu = (p: PerJob) =>
  `${p.cpuMs.toFixed(1)} ms (node ${p.nodeMs.toFixed(1)} + pg ${p.pgMs.toFixed(1)} + redis ${p.redisMs.toFixed(1)})`;
const stmts = (p: PerJob) =>
  `${p.pgStatements.toFixed(1)} pg + ${p.redisCommands.toFixed(1)} redis (server ran ${p.redisServerCommands.toFixed(0)} with script calls)`;

function range(values: number[], digits: number): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo.toFixed(digits) === hi.toFixed(digits)
    ? lo.toFixed(digits)
    : `${lo.toFixed(digits)}-${hi.toFixed(digits)}`;
}

function printRanges(c: number, x: ConcurrencyFigures): void {
  const runs = x.runs;
  const of = (k: Contender, f: (m: ConcurrencyFigures[Contender]) => number, d: number) =>
    range(
      runs.map((r) => f(r[k])),
      d,
    );
  const ratio = (k: Contender) =>
    range(
      runs.map((r) => r.dalston.rate / r[k].rate),
      2,
    );
  const limit = range(
    runs.map((r) => r.dalston.rate / (r.commitRate / r.dalston.tx / 2)),
    2,
  );
  console.log(
    `  flow c=${c}, ranges over ${runs.length} run(s): jobs/s dalston ${of('dalston', (m) => m.rate, 1)}, ` +
      `graphile ${of('graphile', (m) => m.rate, 1)}, bullmq ${of('bull', (m) => m.rate, 1)}, pg-boss ${of('pgBoss', (m) => m.rate, 1)}; ` +
      `ratios dalston/graphile ${ratio('graphile')}, /bullmq ${ratio('bull')}, /pg-boss ${ratio('pgBoss')}, /half commit limit ${limit}; ` +
      `CPU ms/job dalston ${of('dalston', (m) => m.cost.cpuMs, 1)}, graphile ${of('graphile', (m) => m.cost.cpuMs, 1)}, ` +
      `bullmq ${of('bull', (m) => m.cost.cpuMs, 2)}, pg-boss ${of('pgBoss', (m) => m.cost.cpuMs, 1)}`,
  );
}

export function flowRows(o: BenchOptions, f: FlowFigures): void {
  const jobs = o.counts.flowJobs;
  for (const [c, x] of f.byConcurrency) {
    printRanges(c, x);
    const what = `${jobs} jobs a->(b,c) submit->completed, concurrency ${c}`;
    const d = x.dalston;
    add({
      suite: SUITE,
      measurement: what,
      baseline: GRAPHILE,
      dalston: d.rate,
      base: x.graphile.rate,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: 1.5,
      note: `CPU/job ${cpu(d.cost)} vs ${cpu(x.graphile.cost)}; tx/job ${d.tx.toFixed(1)} vs ${x.graphile.tx.toFixed(1)}`,
    });
    add({
      suite: SUITE,
      measurement: `same, vs BullMQ flows (parent + 2 children), concurrency ${c}`,
      baseline: BULL,
      dalston: d.rate,
      base: x.bull.rate,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: null,
      note: `CPU/job ${cpu(d.cost)} vs ${cpu(x.bull.cost)}`,
    });
    add({
      suite: SUITE,
      measurement: `same, vs pg-boss, concurrency ${c}`,
      baseline: PGBOSS,
      dalston: d.rate,
      base: x.pgBoss.rate,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: 1,
      note: `tx/job: Dalston ${d.tx.toFixed(1)}, pg-boss ${x.pgBoss.tx.toFixed(1)}; CPU/job pg-boss ${cpu(x.pgBoss.cost)}`,
    });
    add({
      suite: SUITE,
      measurement: `same, vs 1/2 commit-rate limit (${Math.round(x.commitRate)} commits/s / ${d.tx.toFixed(1)} tx/job / 2)`,
      baseline: `PostgreSQL ${c} connections`,
      dalston: d.rate,
      base: x.commitRate / d.tx / 2,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: 1,
    });
    for (const [k, name] of [
      ['graphile', GRAPHILE],
      ['bull', BULL],
    ] as const) {
      add({
        suite: SUITE,
        measurement: `CPU per job, all processes (Node + PostgreSQL + Redis), concurrency ${c}`,
        baseline: name,
        dalston: d.cost.cpuMs,
        base: x[k].cost.cpuMs,
        unit: 'ms',
        higherIsBetter: false,
        target: null,
        note: `${cpu(d.cost)} vs ${cpu(x[k].cost)}`,
      });
      add({
        suite: SUITE,
        measurement: `statements per job (PostgreSQL queries + Redis commands sent), concurrency ${c}`,
        baseline: name,
        dalston: d.cost.pgStatements + d.cost.redisCommands,
        base: x[k].cost.pgStatements + x[k].cost.redisCommands,
        unit: 'stmts',
        higherIsBetter: false,
        target: null,
        note: `${stmts(d.cost)} vs ${stmts(x[k].cost)}`,
      });
    }
  }
  if (!f.latency) return;
  const { dalston, graphile, bull } = f.latency;
  for (const [p, key] of [
    ['p50', 'p50'],
    ['p99', 'p99'],
  ] as const) {
    add({
      suite: SUITE,
      measurement: `submit-to-start latency ${p}, idle worker`,
      baseline: GRAPHILE,
      dalston: dalston[key],
      base: graphile[key],
      unit: 'ms',
      higherIsBetter: false,
      target: p === 'p50' ? 1 : null,
    });
    add({
      suite: SUITE,
      measurement: `submit-to-start latency ${p}, idle worker (BullMQ: first child)`,
      baseline: BULL,
      dalston: dalston[key],
      base: bull[key],
      unit: 'ms',
      higherIsBetter: false,
      target: null,
    });
  }
}
