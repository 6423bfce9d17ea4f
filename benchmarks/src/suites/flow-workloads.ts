/**
 * The whole-flow workload: `jobs` jobs of a 3-task DAG (a, then b and c in parallel), from
 * submit to job completed, with `concurrency` worker slots and as many submits in flight.
 * Dalston runs it through createDalston on any adapter set; pg-boss runs the same three
 * steps as dependent jobs on one queue (b and c sent by a's handler).
 */
import type { Dalston, DalstonAdapters, Pipeline } from '@dalston/core';
import { createDalston } from '@dalston/core';
import PgBoss from 'pg-boss';
import { type CostMeterOptions, startCost } from '../lib/cost.js';
import { now, perSecond, runPool, sleep, waitFor } from '../lib/stats.js';
import type { FlowRun } from './flow-peers.js';

const QUEUE = 'steps';
const TENANT = 'bench';

export const threeStep: Pipeline = {
  build: () => [
    { stage: 'a', queue: QUEUE },
    { stage: 'b', queue: QUEUE, dependsOn: ['a'] },
    { stage: 'c', queue: QUEUE, dependsOn: ['a'] },
  ],
};

/** Jobs per second (and cost) through Dalston on `adapters`. The caller closes the adapters afterwards. */
export async function dalstonFlow(
  adapters: DalstonAdapters,
  jobs: number,
  concurrency: number,
  meter: CostMeterOptions = {},
): Promise<FlowRun> {
  const dalston: Dalston = createDalston({
    adapters,
    pipeline: threeStep,
    config: { limits: { concurrentJobs: jobs * 10, concurrentSessions: 10 }, defaultRetentionDays: -1 },
  });
  try {
    const tenant = await dalston.tenants.create({
      id: TENANT,
      name: 'Benchmark',
      limits: { concurrentJobs: jobs * 10 },
    });
    if (tenant.isErr()) throw tenant.error;
    let finished = 0;
    let failed = 0;
    const sub = await adapters.eventBus.subscribe({ tenantId: TENANT }, (e) => {
      if (e.type === 'job.completed') finished++;
      else if (e.type === 'job.failed' || e.type === 'job.cancelled') {
        finished++;
        failed++;
      }
    });
    const worker = dalston.createWorker({
      queues: [QUEUE],
      concurrency,
      handler: async () => ({ ok: true }),
    });
    await sleep(100);
    const cost = await startCost(meter);
    const t0 = now();
    await runPool(jobs, concurrency, async () => {
      const r = await dalston.jobs.submit({ tenantId: TENANT, parameters: {} });
      if (r.isErr()) throw r.error;
    });
    await waitFor(() => finished >= jobs, 'Dalston jobs to complete', 600_000, 2);
    const rate = perSecond(jobs, now() - t0);
    const c = await cost.stop();
    await worker.close();
    await sub.unsubscribe();
    if (failed > 0) throw new Error(`${failed} Dalston jobs failed`);
    return { rate, cost: c, ownQueries: 0 };
  } finally {
    await dalston.close();
  }
}

interface StepData {
  job: number;
  step: 'a' | 'b' | 'c';
}

/**
 * Jobs per second through pg-boss 10.4.2: `concurrency` work() loops (batchSize 1,
 * polling every 0.5 s when idle, the minimum) on one queue; a's handler sends b and c.
 * A job counts as done when b and c completed. Returns the rate, the cost and the number
 * of getQueueSize polls made (each one a transaction and a query, to subtract).
 */
export async function pgBossFlow(
  url: string,
  schema: string,
  jobs: number,
  concurrency: number,
  meter: CostMeterOptions = {},
): Promise<FlowRun & { polls: number }> {
  const boss = new PgBoss({ connectionString: url, schema, max: concurrency, schedule: false });
  boss.on('error', (e) => console.error('pg-boss error:', e));
  await boss.start();
  try {
    await boss.createQueue(QUEUE);
    const pending = new Map<number, number>();
    let handled = 0;
    const handler = async ([job]: PgBoss.Job<StepData>[]) => {
      const { job: id, step } = job!.data;
      if (step === 'a') {
        await boss.insert([
          { name: QUEUE, data: { job: id, step: 'b' } },
          { name: QUEUE, data: { job: id, step: 'c' } },
        ]);
      } else {
        const left = (pending.get(id) ?? 2) - 1;
        pending.set(id, left);
        if (left === 0) handled++;
      }
    };
    for (let i = 0; i < concurrency; i++) {
      await boss.work<StepData>(QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, handler);
    }
    await sleep(100);
    const cost = await startCost(meter);
    const t0 = now();
    await runPool(jobs, concurrency, async (i) => {
      await boss.send(QUEUE, { job: i, step: 'a' });
    });
    await waitFor(() => handled >= jobs, 'pg-boss handlers', 600_000, 2);
    let polls = 0;
    await waitFor(
      async () => {
        polls++;
        return (await boss.getQueueSize(QUEUE, { before: 'completed' })) === 0;
      },
      'pg-boss completions',
      60_000,
      5,
    );
    const rate = perSecond(jobs, now() - t0);
    return { rate, polls, ownQueries: polls, cost: await cost.stop() };
  } finally {
    await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
