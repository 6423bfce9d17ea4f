/**
 * Work-queue workloads shared by the queue suite (Redis) and the memory suite: throughput
 * of enqueue -> lease -> ack with N concurrent lease loops, and enqueue-to-start latency to
 * one idle worker that is already waiting. The BullMQ counterparts do add -> process ->
 * complete on the same Redis with the same concurrency.
 */
import { setMaxListeners } from 'node:events';
import type { Lease, LeaseOptions, QueueMessage, WorkQueue } from '@dalston/core/adapter';
import { Queue, Worker } from 'bullmq';
import { now, perSecond, runTag, sleep, waitFor } from '../lib/stats.js';

/** Producers enqueue this many messages per call (BullMQ: addBulk of the same size). */
export const BATCH = 100;
/** Pause before each latency sample, so the worker is idle and blocked waiting. */
const IDLE_MS = 5;

const message = (queue: string, i: number): QueueMessage => ({
  id: `t${i}:1`,
  queue,
  taskId: `t${i}`,
  jobId: `j${i}`,
  tenantId: 'bench',
  attempt: 1,
  priority: 0,
  notBefore: null,
  maxDeliveries: 5,
});

/**
 * Acks the previous message (if any) and leases the next, as a Dalston worker does: in one
 * call when the queue declares `ackAndLease`, else `ack` then `lease`.
 */
function leaser(queue: WorkQueue, queues: string[], options: LeaseOptions) {
  return async (done: Lease | null): Promise<Lease | null> => {
    if (!done) return queue.lease(queues, options);
    const ref = { queue: done.message.queue, messageId: done.message.id, token: done.token };
    if (queue.capabilities.ackAndLease) return (await queue.ackAndLease!(ref, queues, options)).lease;
    await queue.ack(ref.queue, ref.messageId, ref.token);
    return queue.lease(queues, options);
  };
}

/** Tasks per second for `tasks` messages through `concurrency` lease loops on a fresh queue name. */
export async function dalstonQueueThroughput(
  queue: WorkQueue,
  tasks: number,
  concurrency: number,
): Promise<number> {
  const name = `tp-${runTag()}`;
  const stop = new AbortController();
  setMaxListeners(concurrency + 10, stop.signal); // one abort listener per waiting lease loop
  let acked = 0;
  const loop = async () => {
    const next = leaser(queue, [name], { leaseMs: 60_000, waitMs: 2_000, signal: stop.signal });
    let done: Lease | null = null;
    while (acked < tasks && !stop.signal.aborted) {
      const lease = await next(done);
      done = lease;
      if (!lease) continue;
      if (++acked === tasks) stop.abort();
    }
    if (done) await queue.ack(name, done.message.id, done.token);
  };
  const workers = Array.from({ length: concurrency }, loop);
  await sleep(50); // let every loop reach its blocking wait
  const t0 = now();
  for (let i = 0; i < tasks; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(tasks, i + BATCH); j++) batch.push(message(name, j));
    await queue.enqueue(batch);
  }
  await Promise.all(workers);
  return perSecond(tasks, now() - t0);
}

/** Milliseconds from the start of enqueue() to the moment an idle waiting worker holds the lease. */
export async function dalstonQueueLatency(queue: WorkQueue, samples: number): Promise<number[]> {
  const name = `lat-${runTag()}`;
  const stop = new AbortController();
  const out: number[] = [];
  let t0 = 0;
  const waiter: { started: () => void } = { started: () => {} };
  const loop = (async () => {
    const next = leaser(queue, [name], { leaseMs: 60_000, waitMs: 5_000, signal: stop.signal });
    let done: Lease | null = null;
    while (!stop.signal.aborted) {
      const lease = await next(done);
      done = lease;
      if (!lease) continue;
      out.push(now() - t0);
      waiter.started();
    }
    if (done) await queue.ack(name, done.message.id, done.token);
  })();
  await sleep(50);
  for (let i = 0; i < samples; i++) {
    await sleep(IDLE_MS);
    const done = new Promise<void>((r) => {
      waiter.started = r;
    });
    t0 = now();
    await queue.enqueue([message(name, i)]);
    await done;
  }
  stop.abort();
  await loop;
  return out;
}

export interface BullConnection {
  host: string;
  port: number;
  db: number;
}

function bull(connection: BullConnection, prefix: string, name: string) {
  return new Queue(name, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true },
  });
}

/** BullMQ jobs per second: add (addBulk of BATCH) -> process (no-op) -> complete. */
export async function bullThroughput(
  connection: BullConnection,
  prefix: string,
  tasks: number,
  concurrency: number,
): Promise<number> {
  const name = `tp-${runTag()}`;
  const queue = bull(connection, prefix, name);
  let completed = 0;
  const worker = new Worker(name, async () => {}, { connection, prefix, concurrency });
  worker.on('completed', () => {
    completed++;
  });
  worker.on('error', () => {});
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  await sleep(50);
  const t0 = now();
  for (let i = 0; i < tasks; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(tasks, i + BATCH); j++) batch.push({ name: 't', data: { i: j } });
    await queue.addBulk(batch);
  }
  await waitFor(() => completed >= tasks, 'BullMQ completions', 300_000, 1);
  const rate = perSecond(tasks, now() - t0);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return rate;
}

/** BullMQ: ms from the start of add() to the processor starting on an idle worker. */
export async function bullLatency(
  connection: BullConnection,
  prefix: string,
  samples: number,
): Promise<number[]> {
  const name = `lat-${runTag()}`;
  const queue = bull(connection, prefix, name);
  const out: number[] = [];
  let t0 = 0;
  let completed: (() => void) | null = null;
  const worker = new Worker(
    name,
    async () => {
      out.push(now() - t0);
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('completed', () => completed?.());
  worker.on('error', () => {});
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  await sleep(50);
  for (let i = 0; i < samples; i++) {
    await sleep(IDLE_MS);
    const done = new Promise<void>((r) => {
      completed = r;
    });
    t0 = now();
    await queue.add('t', { i });
    await done;
  }
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  return out;
}
