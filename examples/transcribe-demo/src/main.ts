import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runDemo } from './run.js';

export { type DemoOptions, type DemoResult, runDemo } from './run.js';

const USAGE = `Usage: npm run demo -- [options]

  --jobs N         jobs to submit (default 4)
  --seed N         seed of the first job's audio (default: random; printed on the first line)
  --pace MS        artificial delay per processing step so progress is visible (default 40)
  --bad-input      also submit a job whose input is not a WAV file (it fails, without retries)
  --break-diarize  make job 1's diarize fail every attempt: the optional stage is skipped and
                   the job still completes, with speakers "unknown"
  --quiet          print nothing; the exit code tells the outcome`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string' },
      seed: { type: 'string' },
      pace: { type: 'string' },
      'bad-input': { type: 'boolean' },
      'break-diarize': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, v: string | undefined, min: number, max: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}`);
    return n;
  };
  const jobs = int('jobs', values.jobs, 1, 50);
  const seed = int('seed', values.seed, 0, 2 ** 31);
  const paceMs = int('pace', values.pace, 0, 5000);
  const { ok } = await runDemo({
    ...(jobs !== undefined ? { jobs } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(paceMs !== undefined ? { paceMs } : {}),
    badInput: values['bad-input'] ?? false,
    brokenDiarize: values['break-diarize'] ? [0] : [],
    quiet: values.quiet ?? false,
  });
  return ok ? 0 : 1;
}

// Run only when executed directly (tests import runDemo from here).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? `error: ${e.message}` : e);
      process.exitCode = 1;
    },
  );
}
