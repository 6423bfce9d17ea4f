/**
 * Suite 1, work queue: Dalston's RedisWorkQueue against BullMQ 6.7.0 on the same Redis.
 * Throughput of enqueue -> lease -> ack at each concurrency (best of `repeat`, interleaved),
 * and enqueue-to-start latency to an idle waiting worker.
 */
import { RedisWorkQueue } from '@dalston/adapter-redis';
import { guardPortNamed } from '@dalston/core/adapter';
import type { BenchOptions } from '../lib/options.js';
import { deleteKeys, redisClient, redisConnection } from '../lib/redis.js';
import { add } from '../lib/report.js';
import { shared } from '../lib/shared.js';
import { bestOfInterleaved, type Latency, latencyOf, runTag } from '../lib/stats.js';
import {
  bullLatency,
  bullThroughput,
  dalstonQueueLatency,
  dalstonQueueThroughput,
} from './queue-workloads.js';

const BULL = 'BullMQ 6.7.0';

/** Redis queue figures, shared with the memory suite. */
export function redisQueueFigures(o: BenchOptions) {
  return shared('redis-queue', () => measureRedisQueue(o));
}

interface QueueFigures {
  throughput: Map<number, { dalston: number; bull: number }>;
  latency: { dalston: Latency; bull: Latency };
}

async function measureRedisQueue(o: BenchOptions): Promise<QueueFigures> {
  const tag = runTag();
  const prefix = `dalston-bench-${tag}`;
  const bullPrefix = `bull-bench-${tag}`;
  const client = redisClient(o.redisUrl);
  const connection = redisConnection(o.redisUrl);
  const raw = new RedisWorkQueue({ client, prefix });
  const queue = o.guarded ? guardPortNamed('workQueue', raw) : raw;
  try {
    const throughput = new Map<number, { dalston: number; bull: number }>();
    const warm = Math.min(1_000, o.counts.queueTasks);
    await dalstonQueueThroughput(queue, warm, 8);
    await bullThroughput(connection, bullPrefix, warm, 8);
    for (const c of o.counts.queueConcurrency) {
      const best = await bestOfInterleaved(o.repeat, {
        dalston: () => dalstonQueueThroughput(queue, o.counts.queueTasks, c),
        bull: () => bullThroughput(connection, bullPrefix, o.counts.queueTasks, c),
      });
      throughput.set(c, best);
      console.log(`  queue c=${c}: dalston ${best.dalston.toFixed(0)}/s, bullmq ${best.bull.toFixed(0)}/s`);
    }
    const dalston = latencyOf(await dalstonQueueLatency(queue, o.counts.latencySamples));
    const bull = latencyOf(await bullLatency(connection, bullPrefix, o.counts.latencySamples));
    return { throughput, latency: { dalston, bull } };
  } finally {
    await queue.close();
    await deleteKeys(client, `*${prefix}*`);
    await deleteKeys(client, `${bullPrefix}:*`);
    await client.quit();
  }
}

export async function queueSuite(o: BenchOptions): Promise<void> {
  const f = await redisQueueFigures(o);
  for (const [c, { dalston, bull }] of f.throughput) {
    add({
      suite: '1 queue',
      measurement: `${o.counts.queueTasks} tasks enqueue->lease->ack, concurrency ${c}`,
      baseline: BULL,
      dalston,
      base: bull,
      unit: 'tasks/s',
      higherIsBetter: true,
      target: 1.5,
    });
  }
  for (const p of ['p50', 'p95', 'p99'] as const) {
    add({
      suite: '1 queue',
      measurement: `enqueue-to-start latency ${p} (idle worker)`,
      baseline: BULL,
      dalston: f.latency.dalston[p],
      base: f.latency.bull[p],
      unit: 'ms',
      higherIsBetter: false,
      target: p === 'p50' ? 1 : null,
    });
  }
}
