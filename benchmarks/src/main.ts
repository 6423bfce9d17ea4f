/**
 * `npm run bench`: runs the chosen suites against the shared PostgreSQL and Redis (a key
 * prefix, schema or database per run, removed afterwards) and a private s3rver, then prints
 * one table of ratios measured in the same run. See docs/performance.md.
 */
import 'reflect-metadata';
import { type BenchOptions, parseOptions, type SuiteName } from './lib/options.js';
import { rows, table, writeJson } from './lib/report.js';
import { artifactsSuite } from './suites/artifacts.js';
import { bulkSubmitSuite } from './suites/bulk-submit.js';
import { flowSuite } from './suites/flow.js';
import { maintenanceSuite } from './suites/maintenance.js';
import { memorySuite } from './suites/memory.js';
import { memoryScaleSuite } from './suites/memory-scale.js';
import { queueSuite } from './suites/queue.js';
import { rateSuite } from './suites/rate.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const suites: Record<SuiteName, (o: BenchOptions) => Promise<void>> = {
  queue: queueSuite,
  rate: rateSuite,
  artifacts: artifactsSuite,
  flow: flowSuite,
  memory: memorySuite,
  'memory-scale': memoryScaleSuite,
  maintenance: maintenanceSuite,
  bulk: bulkSubmitSuite,
};

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = Date.now();
  console.log(
    `Dalston benchmarks: ${o.suites.join(', ')}${o.quick ? ' (quick)' : ''}, best of ${o.repeat}; ` +
      `Node ${process.version}, Redis ${o.redisUrl}, PostgreSQL ${o.databaseUrl.replace(/\/\/[^@]*@/, '//')}`,
  );
  const failures: string[] = [];
  for (const name of o.suites) {
    console.log(`\n[${name}]`);
    const t0 = Date.now();
    try {
      await suites[name](o);
    } catch (e) {
      failures.push(name);
      console.error(`suite ${name} failed:`, e);
    }
    console.log(`[${name}] ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`\n${table()}\n`);
  console.log(
    `total ${((Date.now() - started) / 1000).toFixed(0)} s${failures.length ? `; failed suites: ${failures.join(', ')}` : ''}`,
  );
  if (o.jsonOut)
    writeJson(o.jsonOut, { quick: o.quick, repeat: o.repeat, node: process.version, rows: rows.length });
  process.exit(failures.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
