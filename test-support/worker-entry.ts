/**
 * Child-process entry for end-to-end tests (run with `node --import tsx`). Builds a real
 * engine from the DALSTON_E2E_* environment (see engine.ts and worker-process.ts).
 *
 * Role `worker` (default): runs maintenance every DALSTON_E2E_MAINTENANCE_MS and a worker
 * on both e2e queues; prints `ready`; SIGTERM closes it gracefully.
 *
 * Role `submit`: submits DALSTON_E2E_SUBMIT (JSON `{ tenantId, parameters, input? }`) and
 * prints `submitted <jobId>`. DALSTON_E2E_CRASH_AT kills the process (SIGKILL) at one step
 * of submit, a test-harness hook around the adapters (core is untouched):
 * - `createJob:before`: the input blob is written, the job row never is;
 * - `createJob:after`: the job is committed, nothing enqueued or published;
 * - `publish:before`: the job is committed and enqueued, its events not published.
 *
 * DALSTON_E2E_SPANS_FILE: the engine's spans are appended to that file as JSON lines.
 */
import 'reflect-metadata';
import { createDalston, type DalstonAdapters, type TaskContext, TaskFailure } from '@dalston/core';
import { realAdapters, targetFromEnv } from './engine.js';
import { fileTracing } from './telemetry.js';
import { diamondPipeline, QUEUE_A, QUEUE_B } from './worker-process.js';

const env = process.env;
const num = (name: string, fallback: number) => Number(env[name] ?? fallback);

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

/** Wraps one adapter method so the process dies before or after the real call. */
function crashAt(adapters: DalstonAdapters, at: string | undefined): void {
  if (!at) return;
  const [method, when] = at.split(':');
  const port = method === 'publish' ? adapters.eventBus : adapters.jobStore;
  const target = port as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const name = method === 'publish' ? 'publish' : method!;
  const real = target[name]!.bind(port);
  target[name] = async (...args: unknown[]) => {
    if (when === 'before') die();
    const value = await real(...args);
    die();
    return value;
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

async function handler(ctx: TaskContext) {
  const p = ctx.job.parameters as { sleepMs?: number; crash?: string; crashStage?: string; fail?: string };
  const stage = ctx.task.stage;
  if (p.crash === 'always' && (p.crashStage ?? 'diarize') === stage) die();
  if (p.fail === stage)
    throw new TaskFailure(`test failure in ${stage}`, { retryable: false, code: 'E2E_FAIL' });
  if (p.sleepMs) await sleep(p.sleepMs, ctx.signal);
  for (const [parent, out] of Object.entries(ctx.parents)) {
    const uri = (out.output as { uri?: string } | null)?.uri;
    if (!uri) throw new Error(`parent ${parent} handed no output uri`);
  }
  // A naive host: no retries of its own. A store that is down is the engine's to handle.
  const body = JSON.stringify({ stage, job: ctx.job.id, attempt: ctx.attempt });
  const { uri } = await ctx.artifacts.put('out.json', body, { contentType: 'application/json' });
  return { stage, uri, pid: process.pid };
}

async function main(): Promise<void> {
  const target = targetFromEnv();
  const real = await realAdapters(target, { pgMax: 4 });
  crashAt(real.adapters, env.DALSTON_E2E_CRASH_AT);
  const dalston = createDalston({
    adapters: real.adapters,
    pipeline: diamondPipeline,
    config: {
      leaseMs: num('DALSTON_E2E_LEASE_MS', 1500),
      maxLostLeases: num('DALSTON_E2E_MAX_LOST_LEASES', 5),
      maxDeliveries: num('DALSTON_E2E_MAX_DELIVERIES', 10),
      eventRelayDelayMs: 200,
      queues: [QUEUE_A, QUEUE_B],
    },
    ...(env.DALSTON_E2E_SPANS_FILE
      ? { telemetry: { tracerProvider: fileTracing(env.DALSTON_E2E_SPANS_FILE) } }
      : {}),
  });
  const shutdown = async () => {
    await dalston.close({ deadlineMs: 2000 });
    await real.close();
    process.exit(0);
  };
  if (env.DALSTON_E2E_ROLE === 'submit') {
    const job = await dalston.jobs.submit(JSON.parse(env.DALSTON_E2E_SUBMIT ?? '{}'));
    console.log(job.isOk() ? `submitted ${job.value.id}` : `submit failed ${job.error.code}`);
    await shutdown();
    return;
  }
  const maintenanceMs = num('DALSTON_E2E_MAINTENANCE_MS', 500);
  if (maintenanceMs > 0) await dalston.maintenance.start({ intervalMs: maintenanceMs });
  dalston.createWorker({
    queues: [QUEUE_A, QUEUE_B],
    concurrency: num('DALSTON_E2E_CONCURRENCY', 4),
    waitMs: 500,
    handler,
  });
  process.once('SIGTERM', () => void shutdown());
  console.log('ready');
}

main().catch((e) => {
  console.error('worker-entry failed', e);
  process.exit(1);
});
