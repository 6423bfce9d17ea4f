/**
 * Suite 5, memory adapters: workloads 1-3 (queue, whole flow, rate limiting) on the memory
 * set, as ratios against the same workloads on Redis (and PostgreSQL + Redis for the
 * flow) measured in this run. The Redis figures are shared with suites 1-3, so running
 * everything measures each of them once.
 */
import { MemoryWorkQueue } from '@dalston/adapter-memory';
import type { BenchOptions } from '../lib/options.js';
import { add } from '../lib/report.js';
import { bestOfInterleaved, latencyOf } from '../lib/stats.js';
import { flowFigures, memoryFlow } from './flow.js';
import { redisQueueFigures } from './queue.js';
import { dalstonQueueLatency, dalstonQueueThroughput } from './queue-workloads.js';
import { rateFigures } from './rate.js';

const TARGET = 10;

export async function memorySuite(o: BenchOptions): Promise<void> {
  const queue = await redisQueueFigures(o);
  const memoryQueue = new MemoryWorkQueue();
  try {
    await dalstonQueueThroughput(memoryQueue, Math.min(1_000, o.counts.queueTasks), 8); // warm-up
    for (const c of o.counts.queueConcurrency) {
      const best = await bestOfInterleaved(o.repeat, {
        memory: () => dalstonQueueThroughput(memoryQueue, o.counts.queueTasks, c),
      });
      add({
        suite: '5 memory',
        measurement: `queue: ${o.counts.queueTasks} tasks, concurrency ${c}`,
        baseline: 'Dalston on Redis',
        dalston: best.memory,
        base: queue.throughput.get(c)!.dalston,
        unit: 'tasks/s',
        higherIsBetter: true,
        target: TARGET,
      });
    }
    const latency = latencyOf(await dalstonQueueLatency(memoryQueue, o.counts.latencySamples));
    add({
      suite: '5 memory',
      measurement: 'queue: enqueue-to-start latency p50',
      baseline: 'Dalston on Redis',
      dalston: latency.p50,
      base: queue.latency.dalston.p50,
      unit: 'ms',
      higherIsBetter: false,
      target: 1 / TARGET,
    });
  } finally {
    await memoryQueue.close();
  }

  const rate = await rateFigures(o);
  for (const [inFlight, memory] of rate.dalstonMemory) {
    add({
      suite: '5 memory',
      measurement: `rate: ${o.counts.rateChecks} checks, ${inFlight} in flight`,
      baseline: 'Dalston on Redis',
      dalston: memory,
      base: rate.dalstonRedis.get(inFlight)!,
      unit: 'checks/s',
      higherIsBetter: true,
      target: TARGET,
    });
  }

  const flow = await flowFigures(o);
  for (const [c, x] of flow.byConcurrency) {
    const best = await bestOfInterleaved(o.quick ? o.repeat : Math.min(o.repeat, 2), {
      memory: () => memoryFlow(o, c),
    });
    add({
      suite: '5 memory',
      measurement: `flow: ${o.counts.flowJobs} jobs a->(b,c), concurrency ${c}`,
      baseline: 'Dalston on PostgreSQL + Redis',
      dalston: best.memory,
      base: x.dalston.rate,
      unit: 'jobs/s',
      higherIsBetter: true,
      target: TARGET,
    });
  }
}
