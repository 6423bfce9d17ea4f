/**
 * Submit-to-start latency of a flow with an idle worker (one slot, already waiting): ms from
 * calling submit to the first handler starting. Each sample waits for its whole flow to
 * finish, then 5 ms, before the next submit, so the worker is idle again.
 * - Dalston: `jobs.submit` -> handler of stage `a`; next sample after `job.completed`.
 * - graphile-worker: `addJob('a')` -> task `a` starts; next after b and c finished.
 * - BullMQ: `FlowProducer.add` -> the first child starts (children run first in a BullMQ
 *   flow); next after the parent completed.
 */
import type { DalstonAdapters } from '@dalston/core';
import { createDalston } from '@dalston/core';
import { FlowProducer, Worker } from 'bullmq';
import { run } from 'graphile-worker';
import { redisConnection } from '../lib/redis.js';
import { type Latency, latencyOf, now, sleep } from '../lib/stats.js';
import { silentGraphileLogger } from './flow-peers.js';
import { threeStep } from './flow-workloads.js';

const TENANT = 'bench-latency';

/** A promise with its resolve, re-armed for each sample; resolves with the time it fired. */
function signal() {
  let fire!: (t: number) => void;
  const promise = new Promise<number>((r) => {
    fire = r;
  });
  return { promise, resolve: () => fire(now()) };
}

async function sample(
  samples: number,
  submit: () => Promise<void>,
  arm: () => { started: Promise<number>; done: Promise<number> },
): Promise<Latency> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const { started, done } = arm();
    const t0 = now();
    await submit();
    out.push((await started) - t0);
    await done;
    await sleep(5);
  }
  return latencyOf(out);
}

export async function dalstonLatency(adapters: DalstonAdapters, samples: number): Promise<Latency> {
  const dalston = createDalston({
    adapters,
    pipeline: threeStep,
    config: { limits: { concurrentJobs: 1000, concurrentSessions: 10 }, defaultRetentionDays: -1 },
  });
  let started = signal();
  let done = signal();
  try {
    const tenant = await dalston.tenants.create({
      id: TENANT,
      name: 'Latency',
      limits: { concurrentJobs: 1000 },
    });
    if (tenant.isErr()) throw tenant.error;
    const sub = await adapters.eventBus.subscribe({ tenantId: TENANT }, (e) => {
      if (e.type === 'job.completed' || e.type === 'job.failed' || e.type === 'job.cancelled') done.resolve();
    });
    const worker = dalston.createWorker({
      queues: ['steps'],
      concurrency: 1,
      handler: async (ctx) => {
        if (ctx.task.stage === 'a') started.resolve();
        return { ok: true };
      },
    });
    await sleep(200);
    const result = await sample(
      samples,
      async () => {
        const r = await dalston.jobs.submit({ tenantId: TENANT, parameters: {} });
        if (r.isErr()) throw r.error;
      },
      () => {
        started = signal();
        done = signal();
        return { started: started.promise, done: done.promise };
      },
    );
    await worker.close();
    await sub.unsubscribe();
    return result;
  } finally {
    await dalston.close();
  }
}

export async function graphileLatency(url: string, schema: string, samples: number): Promise<Latency> {
  let started = signal();
  let done = signal();
  let left = 2;
  const runner = await run({
    connectionString: url,
    schema,
    concurrency: 1,
    noHandleSignals: true,
    logger: silentGraphileLogger,
    taskList: {
      a: async (payload, helpers) => {
        started.resolve();
        await helpers.addJob('b', payload);
        await helpers.addJob('c', payload);
      },
      b: async () => {
        if (--left === 0) done.resolve();
      },
      c: async () => {
        if (--left === 0) done.resolve();
      },
    },
  });
  try {
    await sleep(200);
    let i = 0;
    return await sample(
      samples,
      async () => {
        await runner.addJob('a', { job: i++ });
      },
      () => {
        started = signal();
        done = signal();
        left = 2;
        return { started: started.promise, done: done.promise };
      },
    );
  } finally {
    await runner.stop();
  }
}

export async function bullLatency(redisUrl: string, prefix: string, samples: number): Promise<Latency> {
  const connection = { ...redisConnection(redisUrl), maxRetriesPerRequest: null };
  const queueName = 'steps';
  const producer = new FlowProducer({ connection, prefix });
  let started = signal();
  let done = signal();
  const worker = new Worker(
    queueName,
    async (job) => {
      if (job.name !== 'parent') started.resolve();
      return { ok: true };
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('completed', (job) => {
    if (job.name === 'parent') done.resolve();
  });
  const opts = { removeOnComplete: true, removeOnFail: true };
  try {
    await worker.waitUntilReady();
    await sleep(200);
    let i = 0;
    return await sample(
      samples,
      async () => {
        const data = { job: i++ };
        await producer.add({
          name: 'parent',
          queueName,
          data,
          opts,
          children: [
            { name: 'b', queueName, data, opts },
            { name: 'c', queueName, data, opts },
          ],
        });
      },
      () => {
        started = signal();
        done = signal();
        return { started: started.promise, done: done.promise };
      },
    );
  } finally {
    await worker.close();
    await producer.close();
  }
}
