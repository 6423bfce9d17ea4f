/**
 * The whole-flow workload on the peers that are not PostgreSQL-queue-per-step like pg-boss:
 * - graphile-worker 0.18.0 on the run's PostgreSQL database (its own schema): task `a`
 *   enqueues `b` and `c` with `helpers.addJob` when it runs (the same a -> (b, c) shape as
 *   Dalston's DAG, fan-out); a flow is complete when b and c have both finished, and the run
 *   ends when graphile's job table is empty (completions are written after the handler
 *   returns, without being awaited).
 * - BullMQ 6.7.0 `FlowProducer`: one parent with two children per flow. BullMQ's flow is a
 *   fan-in (children first, the parent when both finished), the mirror image of a -> (b, c):
 *   also 3 jobs, one dependency fan, so the same number of jobs and edges; a flow is
 *   complete when the parent's `completed` event fires.
 * Defaults of each library otherwise (graphile: no local queue, no completion batching).
 */
import { FlowProducer, Worker } from 'bullmq';
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import { type CostMeterOptions, type RunCost, startCost } from '../lib/cost.js';
import { redisConnection } from '../lib/redis.js';
import { now, perSecond, runPool, sleep, waitFor } from '../lib/stats.js';

export interface FlowRun {
  rate: number;
  cost: RunCost;
  /** PostgreSQL queries the benchmark itself sent to check completion (subtract them). */
  ownQueries: number;
}

export const silentGraphileLogger = new Logger(() => () => {});

export async function graphileFlow(
  url: string,
  schema: string,
  jobs: number,
  concurrency: number,
  meter: CostMeterOptions,
): Promise<FlowRun> {
  let finished = 0;
  const pending = new Map<number, number>();
  const runner = await run({
    connectionString: url,
    schema,
    concurrency,
    maxPoolSize: concurrency + 2,
    noHandleSignals: true,
    logger: silentGraphileLogger,
    taskList: {
      a: async (payload, helpers) => {
        await helpers.addJob('b', payload);
        await helpers.addJob('c', payload);
      },
      b: async (payload) => done(payload),
      c: async (payload) => done(payload),
    },
  });
  function done(payload: unknown): void {
    const id = (payload as { job: number }).job;
    const left = (pending.get(id) ?? 2) - 1;
    pending.set(id, left);
    if (left === 0) finished++;
  }
  try {
    await sleep(100);
    const cost = await startCost(meter);
    const t0 = now();
    await runPool(jobs, concurrency, async (i) => {
      await runner.addJob('a', { job: i });
    });
    await waitFor(() => finished >= jobs, 'graphile-worker flows', 600_000, 2);
    // the completions are written asynchronously: the run ends when every job row is gone
    const poller = new pg.Client({ connectionString: url });
    await poller.connect();
    let ownQueries = 0;
    await waitFor(
      async () => {
        ownQueries++;
        const r = await poller.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${schema}._private_jobs`,
        );
        return r.rows[0]!.n === '0';
      },
      'graphile-worker completions',
      60_000,
      2,
    );
    const rate = perSecond(jobs, now() - t0);
    await poller.end();
    return { rate, cost: await cost.stop(), ownQueries };
  } finally {
    await runner.stop();
  }
}

export async function bullFlow(
  redisUrl: string,
  prefix: string,
  jobs: number,
  concurrency: number,
  meter: CostMeterOptions,
): Promise<FlowRun> {
  const connection = { ...redisConnection(redisUrl), maxRetriesPerRequest: null };
  const queueName = 'steps';
  const producer = new FlowProducer({ connection, prefix });
  let finished = 0;
  let failed = 0;
  const worker = new Worker(queueName, async () => ({ ok: true }), { connection, prefix, concurrency });
  worker.on('completed', (job) => {
    if (job.name === 'parent') finished++;
  });
  worker.on('failed', () => {
    failed++;
  });
  const opts = { removeOnComplete: true, removeOnFail: true };
  try {
    await worker.waitUntilReady();
    await sleep(100);
    const cost = await startCost(meter);
    const t0 = now();
    await runPool(jobs, concurrency, async (i) => {
      await producer.add({
        name: 'parent',
        queueName,
        data: { job: i },
        opts,
        children: [
          { name: 'b', queueName, data: { job: i }, opts },
          { name: 'c', queueName, data: { job: i }, opts },
        ],
      });
    });
    await waitFor(() => finished + failed >= jobs, 'BullMQ flows', 600_000, 2);
    const rate = perSecond(jobs, now() - t0);
    const c = await cost.stop();
    if (failed > 0) throw new Error(`${failed} BullMQ flow jobs failed`);
    return { rate, cost: c, ownQueries: 0 };
  } finally {
    await worker.close();
    await producer.close();
  }
}
