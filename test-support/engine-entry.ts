/**
 * Child-process entry for an API instance in end-to-end tests (run with `node --import tsx`,
 * see engine-process.ts): a real engine built from the DALSTON_E2E_* environment that
 * accepts submits over HTTP and runs maintenance, but runs no worker.
 *
 * - `POST /jobs` with `{ tenantId, parameters }` → 200 `{ id }`, or the error's status
 *   (400 VALIDATION_FAILED, 503 otherwise) with `{ code, message }`.
 * - Maintenance every DALSTON_E2E_MAINTENANCE_MS (0 = none), and with it the schedule
 *   firing pass every DALSTON_E2E_SCHEDULE_MS (default 1000; 0 = none).
 * - The pass log: every call of `jobStore.exclusive` (each maintenance pass runs under it)
 *   prints one stdout line, `pass <name> ran <startMs> <endMs>` (times taken inside the
 *   exclusive section, high-resolution epoch ms) or `pass <name> skipped <atMs>` when
 *   another instance held the pass. A test-harness wrapper around the adapter; core is
 *   untouched.
 * - Prints `ready <port>`; SIGTERM closes it gracefully.
 */
import 'reflect-metadata';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createDalston } from '@dalston/core';
import type { JobStore } from '@dalston/core/adapter';
import { realAdapters, targetFromEnv } from './engine.js';
import { diamondPipeline, QUEUE_A, QUEUE_B } from './worker-process.js';

const env = process.env;
const now = () => performance.timeOrigin + performance.now();

/** Wraps `exclusive` so each pass prints when it ran (inside the lock) or that it was skipped. */
function logPasses(store: JobStore): void {
  const real = store.exclusive.bind(store);
  store.exclusive = async (name, options, fn) => {
    const r = await real(name, options, async () => {
      const start = now();
      try {
        return await fn();
      } finally {
        console.log(`pass ${name} ran ${start.toFixed(3)} ${now().toFixed(3)}`);
      }
    });
    if (!r.ran) console.log(`pass ${name} skipped ${now().toFixed(3)}`);
    return r;
  };
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}');
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function main(): Promise<void> {
  const target = targetFromEnv();
  const real = await realAdapters(target, { pgMax: 6 });
  logPasses(real.adapters.jobStore);
  const dalston = createDalston({
    adapters: real.adapters,
    pipeline: diamondPipeline,
    config: {
      leaseMs: Number(env.DALSTON_E2E_LEASE_MS ?? 1500),
      eventRelayDelayMs: 200,
      queues: [QUEUE_A, QUEUE_B],
      limits: { concurrentJobs: 10_000 },
      slotResyncGraceMs: 2000,
    },
  });
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/jobs') return reply(res, 404, { code: 'NOT_FOUND' });
    void body(req)
      .then(async (input) => {
        const r = await dalston.jobs.submit(input as { tenantId: string });
        if (r.isOk()) return reply(res, 200, { id: r.value.id });
        const status = r.error.code === 'VALIDATION_FAILED' ? 400 : 503;
        return reply(res, status, { code: r.error.code, message: r.error.message });
      })
      .catch((e: unknown) => reply(res, 400, { code: 'VALIDATION_FAILED', message: String(e) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const maintenanceMs = Number(env.DALSTON_E2E_MAINTENANCE_MS ?? 500);
  const scheduleIntervalMs = Number(env.DALSTON_E2E_SCHEDULE_MS ?? 1000);
  if (maintenanceMs > 0) {
    (await dalston.maintenance.start({ intervalMs: maintenanceMs, scheduleIntervalMs }))._unsafeUnwrap();
  }
  process.once('SIGTERM', () => {
    server.close();
    void dalston
      .close({ deadlineMs: 2000 })
      .then(() => real.close())
      .then(() => process.exit(0));
  });
  const address = server.address();
  console.log(`ready ${typeof address === 'object' && address ? address.port : 0}`);
}

main().catch((e) => {
  console.error('engine-entry failed', e);
  process.exit(1);
});
