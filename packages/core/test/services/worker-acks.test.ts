/**
 * How a worker acks: with a queue that declares `ackAndLease`, each finished message is
 * acked in the same call that asks for the next lease (one round trip instead of two);
 * without it, `ack` then `lease`. Either way nothing stays leased once the work is done,
 * and a worker closing with a finished message still acks it.
 */
import { describe, expect, it } from 'vitest';
import type { AckRef, LeaseOptions, WorkQueue } from '../../src/ports/work-queue.js';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';
import { harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

/** The memory queue with `ackAndLease` declared on or off, counting calls per method. */
function queueWith(ackAndLease: boolean, calls: Record<string, number>) {
  return (a: DalstonAdapters): DalstonAdapters => {
    const base = a.workQueue;
    const count = (name: string) => {
      calls[name] = (calls[name] ?? 0) + 1;
    };
    const wrapped: WorkQueue = Object.assign(Object.create(base) as WorkQueue, {
      capabilities: { ...base.capabilities, ackAndLease },
      lease: (queues: string[], options: LeaseOptions) => {
        count('lease');
        return base.lease(queues, options);
      },
      ack: (queue: string, id: string, token: string) => {
        count('ack');
        return base.ack(queue, id, token);
      },
      ackAndLease: ackAndLease
        ? async (done: AckRef, queues: string[], options: LeaseOptions) => {
            count('ackAndLease');
            const acked = await base.ack(done.queue, done.messageId, done.token);
            return { acked, lease: await base.lease(queues, options) };
          }
        : undefined,
    });
    return { ...a, workQueue: wrapped };
  };
}

async function runJobs(h: Awaited<ReturnType<typeof harness>>, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push((await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap().id);
  await until(async () => {
    for (const id of ids) {
      if ((await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().status !== 'completed') return false;
    }
    return true;
  });
}

describe('worker acks', () => {
  it('with ackAndLease: each finished message is acked with the next lease, none left leased', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, wrap: queueWith(true, calls) });
    const worker = h.dalston.createWorker({ queues: ['q'], concurrency: 1, handler: async () => 'ok' });
    await runJobs(h, 4);
    await until(async () => (await h.adapters.workQueue.stats('q')).leased === 0, 3000, 'last ack');
    expect(calls.ack ?? 0).toBe(0);
    expect(calls.ackAndLease).toBe(4);
    expect(calls.lease).toBe(1); // only the first, with nothing to ack yet
    await worker.close();
    expect(await h.adapters.workQueue.stats('q')).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    await h.dalston.close();
  });

  it('without ackAndLease: ack, then lease', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, wrap: queueWith(false, calls) });
    const worker = h.dalston.createWorker({ queues: ['q'], concurrency: 2, handler: async () => 'ok' });
    await runJobs(h, 4);
    await until(async () => calls.ack === 4, 3000, 'four acks');
    expect(calls.ackAndLease ?? 0).toBe(0);
    expect(calls.lease).toBeGreaterThanOrEqual(5);
    await worker.close();
    expect(await h.adapters.workQueue.stats('q')).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    await h.dalston.close();
  });

  it('a worker closing while a handler runs records the outcome and acks the message', async () => {
    const calls: Record<string, number> = {};
    const h = await harness({ pipeline: one, wrap: queueWith(true, calls) });
    let release: () => void = () => {};
    const started = new Promise<void>((r) => {
      release = r;
    });
    let finish: () => void = () => {};
    const worker = h.dalston.createWorker({
      queues: ['q'],
      concurrency: 1,
      handler: async () => {
        release();
        await new Promise<void>((r) => {
          finish = r;
        });
        return 'done';
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await started;
    const closing = worker.close({ deadlineMs: 60_000 });
    finish();
    await closing;
    expect((await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status).toBe('completed');
    expect(calls.ack).toBe(1); // the loop stopped: acked alone, not with a next lease
    expect(await h.adapters.workQueue.stats('q')).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    await h.dalston.close();
  });

  it('a worker with many loops raises no MaxListenersExceededWarning on its stop signal', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const h = await harness({ pipeline: one });
      const worker = h.dalston.createWorker({ queues: ['q'], concurrency: 32, handler: async () => 'ok' });
      await runJobs(h, 40);
      await new Promise((r) => setImmediate(r));
      await worker.close();
      await h.dalston.close();
      await new Promise((r) => setTimeout(r, 20)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
