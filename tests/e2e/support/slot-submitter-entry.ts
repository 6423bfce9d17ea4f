/**
 * Child-process entry for the concurrent-job limit test (run with `node --import tsx`): a
 * real engine on the DALSTON_E2E_* target (see test-support/engine.ts) with a worker, and
 * SLOTS_LOOPS submit loops that each submit one job at a time with a slow input upload
 * (200–1400 ms, in chunks) for SLOTS_RUN_MS after the parent writes `go` on stdin. A
 * refused submit (RATE_LIMITED) waits 50 ms and tries again: a naive host, no repairs.
 * Once its loops end it keeps working until the tenant has no unfinished job, then prints
 * `done {"admitted":…,"limited":…,"other":[…]}` and exits.
 */
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDalston } from '@dalston/core';
import { realAdapters, targetFromEnv } from '../../../test-support/engine.js';

export const SLOTS_QUEUE = 'slots-q';

const env = process.env;
const tenantId = env.SLOTS_TENANT ?? '';
const runMs = Number(env.SLOTS_RUN_MS ?? 10_000);
const loops = Number(env.SLOTS_LOOPS ?? 2);

/** A body that uploads in 4 chunks over `ms`. */
const slowBody = (ms: number) =>
  Readable.from(
    (async function* () {
      for (let i = 0; i < 4; i++) {
        await sleep(ms / 4);
        yield Buffer.from(`chunk ${i} of a slow upload;`);
      }
    })(),
  );

const go = () =>
  new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'go') {
        lines.close();
        resolve();
      }
    });
  });

async function main(): Promise<void> {
  const real = await realAdapters(targetFromEnv(), { pgMax: 4 });
  const grace = env.SLOTS_GRACE_MS ? { slotResyncGraceMs: Number(env.SLOTS_GRACE_MS) } : {};
  const dalston = createDalston({
    adapters: real.adapters,
    pipeline: { build: () => [{ stage: 'only', queue: SLOTS_QUEUE }] },
    config: { leaseMs: 3000, queues: [SLOTS_QUEUE], ...grace },
  });
  const worker = dalston.createWorker({
    queues: [SLOTS_QUEUE],
    concurrency: 2,
    waitMs: 200,
    handler: async () => {
      await sleep(800); // long enough that committed jobs pile up towards the limit
      return null;
    },
  });
  console.log('ready');
  await go();
  const counts = { admitted: 0, limited: 0, other: [] as string[] };
  const until = Date.now() + runMs;
  const loop = async () => {
    while (Date.now() < until) {
      const body = slowBody(200 + Math.floor(Math.random() * 1200));
      const r = await dalston.jobs.submit({ tenantId, input: { name: 'in.bin', body } });
      if (r.isOk()) counts.admitted++;
      else if (r.error.code === 'RATE_LIMITED') {
        counts.limited++;
        await sleep(50);
      } else counts.other.push(`${r.error.code}: ${r.error.message}`);
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  const drainBy = Date.now() + 30_000;
  while ((await real.adapters.jobStore.nonTerminalJobIds(tenantId)).length > 0 && Date.now() < drainBy) {
    await sleep(100);
  }
  console.log(`done ${JSON.stringify(counts)}`);
  await worker.close();
  await dalston.close({ deadlineMs: 2000 });
  await real.close();
  process.exit(0);
}

main().catch((e) => {
  console.error('slot-submitter-entry failed', e);
  process.exit(1);
});
