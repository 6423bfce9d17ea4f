/**
 * Command-line options of the benchmark runner: which suites, quick or full counts, how
 * many repetitions, and the servers to use (the same ones the tests use).
 */
export const SUITES = [
  'queue',
  'rate',
  'artifacts',
  'flow',
  'memory',
  'memory-scale',
  'maintenance',
  'bulk',
] as const;
export type SuiteName = (typeof SUITES)[number];

export interface BenchOptions {
  suites: SuiteName[];
  quick: boolean;
  /** Repetitions of each throughput measurement; the best is reported. */
  repeat: number;
  redisUrl: string;
  databaseUrl: string;
  /** Counts for this mode. */
  counts: Counts;
  /** Write the printed table as JSON here too. */
  jsonOut: string | null;
  /** Call Dalston's ports through core's port guard, as `createDalston` does. */
  guarded: boolean;
}

export interface Counts {
  queueTasks: number;
  queueConcurrency: number[];
  latencySamples: number;
  rateChecks: number;
  rateKeys: number;
  flowJobs: number;
  flowConcurrency: number[];
  commitLoopMs: number;
  artifactBytes: number;
  /** Ready tasks in the backlog one reconcile pass is measured over. */
  maintenanceReadyTasks: number;
  /** Jobs stored before the large measurement of the memory-scale suite. */
  memoryStoredJobs: number;
}

const FULL: Counts = {
  queueTasks: 20_000,
  queueConcurrency: [1, 8, 32],
  latencySamples: 500,
  rateChecks: 100_000,
  rateKeys: 1_000,
  flowJobs: 2_000,
  flowConcurrency: [8, 32],
  commitLoopMs: 3_000,
  artifactBytes: 1024 * 1024 * 1024,
  maintenanceReadyTasks: 100_000,
  memoryStoredJobs: 50_000,
};

const QUICK: Counts = {
  queueTasks: 2_000,
  queueConcurrency: [1, 8, 32],
  latencySamples: 100,
  rateChecks: 10_000,
  rateKeys: 1_000,
  flowJobs: 200,
  flowConcurrency: [8, 32],
  commitLoopMs: 1_000,
  artifactBytes: 128 * 1024 * 1024,
  maintenanceReadyTasks: 10_000,
  memoryStoredJobs: 10_000,
};

const USAGE = `usage: npm run bench [-- options]
  --suite <name>[,<name>]  one or more of ${SUITES.join(', ')} (default: all); repeatable
  --quick                  smaller counts (about 2 minutes in all)
  --repeat <n>             repetitions per throughput figure, best reported (default 3, quick 1)
  --flow-jobs <n>          jobs per whole-flow run (default 2000, quick 200)
  --maintenance-tasks <n>  ready backlog of the maintenance suite (default 100000, quick 10000)
  --memory-stored <n>      jobs stored before the memory-scale suite's large run (default 50000, quick 10000)
  --json <file>            also write the results as JSON
  --guarded                call Dalston's ports through core's port guard (as createDalston does)
environment: DALSTON_BENCH_REDIS_URL (default redis://127.0.0.1:6379),
             DALSTON_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)`;

export function parseOptions(argv: string[]): BenchOptions {
  const suites = new Set<SuiteName>();
  let quick = false;
  let repeat: number | null = null;
  let jsonOut: string | null = null;
  let guarded = false;
  let flowJobs: number | null = null;
  let maintenanceTasks: number | null = null;
  let memoryStored: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--guarded') guarded = true;
    else if (arg === '--suite' || arg === '-s') {
      for (const s of value().split(',')) {
        if (!(SUITES as readonly string[]).includes(s)) fail(`unknown suite "${s}"`);
        suites.add(s as SuiteName);
      }
    } else if (arg === '--repeat') {
      repeat = Number(value());
      if (!Number.isInteger(repeat) || repeat < 1) fail('--repeat must be an integer >= 1');
    } else if (arg === '--flow-jobs') {
      flowJobs = Number(value());
      if (!Number.isInteger(flowJobs) || flowJobs < 1) fail('--flow-jobs must be an integer >= 1');
    } else if (arg === '--maintenance-tasks') {
      maintenanceTasks = Number(value());
      if (!Number.isInteger(maintenanceTasks) || maintenanceTasks < 1)
        fail('--maintenance-tasks must be an integer >= 1');
    } else if (arg === '--memory-stored') {
      memoryStored = Number(value());
      if (!Number.isInteger(memoryStored) || memoryStored < 3_000)
        fail('--memory-stored must be an integer >= 3000');
    } else if (arg === '--json') jsonOut = value();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown option "${arg}"`);
  }
  return {
    suites: suites.size > 0 ? SUITES.filter((s) => suites.has(s)) : [...SUITES],
    quick,
    repeat: repeat ?? (quick ? 1 : 3),
    redisUrl: process.env.DALSTON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: process.env.DALSTON_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    counts: {
      ...(quick ? QUICK : FULL),
      ...(flowJobs ? { flowJobs } : {}),
      ...(maintenanceTasks ? { maintenanceReadyTasks: maintenanceTasks } : {}),
      ...(memoryStored ? { memoryStoredJobs: memoryStored } : {}),
    },
    jsonOut,
    guarded,
  };
}

function fail(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}
