// Figures for issue 15 part 6 on PostgreSQL + Redis + S3 (the test servers, an s3rver it starts):
// npx tsx scripts/measure-queue-control.ts (N=500 by default).
import { createDalston, type DeadLetterList } from '@dalston/core';
import type { Lease } from '@dalston/core/adapter';
import { newTarget, realAdapters } from '../test-support/engine.js';
import { startS3Server } from '../test-support/s3.js';

const N = Number(process.env.N ?? 500);
const s3 = await startS3Server();
const target = newTarget({
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: 'redis://127.0.0.1:6379',
  s3Endpoint: s3.endpoint,
  s3Bucket: s3.bucket,
  label: 'measure',
});
const real = await realAdapters(target);
const q = 'work';
const pipeline = { build: () => [{ stage: 'w', queue: q }] };
const a = createDalston({ adapters: real.adapters, pipeline, config: { maxDeliveries: 1, queues: [q] } });
const b = createDalston({ adapters: real.adapters, pipeline, config: { queuePollMs: 1000 } });
(await a.tenants.create({ id: 't', name: 't', limits: { concurrentJobs: 100_000 } }))._unsafeUnwrap();

// (1) pause latency seen by another engine: submit a job every 20 ms, note the last start.
let lastStart = 0;
b.createWorker({
  queues: [q],
  concurrency: 4,
  waitMs: 1000,
  handler: () => {
    lastStart = Date.now();
    return 1;
  },
});
const feeding = setInterval(() => void a.jobs.submit({ tenantId: 't' }), 20);
await new Promise((r) => setTimeout(r, 1500));
const pausedAt = Date.now();
(await a.queues.pause(q))._unsafeUnwrap();
await new Promise((r) => setTimeout(r, 2500));
clearInterval(feeding);
console.log(
  `pause honoured by the other engine after ${lastStart - pausedAt} ms (poll 1000 ms); stats`,
  (await a.queues.stats())._unsafeUnwrap().find((s) => s.queue === q),
);

// (2) N dead letters: maxDeliveries 1, lease each once and let the lease run out.
const q2 = 'poison';
const p2 = { build: () => [{ stage: 'w', queue: q2 }] };
const c = createDalston({
  adapters: real.adapters,
  pipeline: p2,
  config: { maxDeliveries: 1, queues: [q2] },
});
for (let i = 0; i < N; i += 50)
  await Promise.all(Array.from({ length: Math.min(50, N - i) }, () => c.jobs.submit({ tenantId: 't' })));
let leased: Lease | null;
do leased = await real.adapters.workQueue.lease([q2], { leaseMs: 200, waitMs: 0 });
while (leased);
await new Promise((r) => setTimeout(r, 300));
await real.adapters.workQueue.lease([q2], { leaseMs: 200, waitMs: 0 });
console.log('dead letters', (await real.adapters.workQueue.stats(q2)).dead);
let t = Date.now();
let pages = 0;
let cursor: string | null = null;
do {
  const p: DeadLetterList = (await c.deadLetters.list(q2, { cursor, limit: 100 }))._unsafeUnwrap();
  cursor = p.nextCursor;
  pages++;
} while (cursor);
console.log(`list: ${pages} pages of 100 in ${Date.now() - t} ms`);
t = Date.now();
const report = (await c.deadLetters.redrive(q2, 'all'))._unsafeUnwrap();
console.log(
  `redrive all (before reconcile): ${report.redriven.length} redriven, ${report.skipped.length} skipped in ${Date.now() - t} ms`,
);
await a.close();
await b.close();
await c.close();
await real.close();
await s3.stop();
process.exit(0);
