/**
 * Folded starts on the memory set: a short handler's start is written with its outcome (one
 * JobStore write per attempt), a longer one's once it outlives `startWriteDelayMs`, or at
 * its first progress; a cancel reaches a handler whose start is not written yet, in this
 * process at once and from another process when the start is written; `startWriteDelayMs: 0`
 * writes every start first.
 */
import { createDalston } from '@dalston/core';
import { describe, expect, it } from 'vitest';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';
import { harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

/** Counts JobStore.updateJob calls. */
function countingUpdates(calls: { updates: number }) {
  return (a: DalstonAdapters): DalstonAdapters => ({
    ...a,
    jobStore: Object.assign(Object.create(a.jobStore), {
      updateJob: (...args: Parameters<DalstonAdapters['jobStore']['updateJob']>) => {
        calls.updates++;
        return a.jobStore.updateJob(...args);
      },
    }),
  });
}

const types = async (h: Awaited<ReturnType<typeof harness>>, jobId: string) =>
  (await h.dalston.jobs.readEvents(h.tenantId, jobId))._unsafeUnwrap().map((e) => e.type);
const statusOf = async (h: Awaited<ReturnType<typeof harness>>, jobId: string) =>
  (await h.dalston.jobs.get(h.tenantId, jobId))._unsafeUnwrap().status;

describe('folded starts', () => {
  it('a short handler: start and outcome in one write, both events recorded', async () => {
    for (const [startWriteDelayMs, writes] of [
      [50, 1],
      [0, 2],
    ] as const) {
      const calls = { updates: 0 };
      const h = await harness({ pipeline: one, config: { startWriteDelayMs }, wrap: countingUpdates(calls) });
      const worker = h.dalston.createWorker({ queues: ['q'], handler: () => ({ ok: true }) });
      const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
      await until(async () => (await statusOf(h, job.id)) === 'completed');
      expect(calls.updates, `startWriteDelayMs ${startWriteDelayMs}`).toBe(writes);
      expect(await types(h, job.id)).toEqual([
        'job.created',
        'task.ready',
        'task.started',
        'task.completed',
        'job.completed',
      ]);
      const task = (await h.adapters.jobStore.getSnapshot(h.tenantId, job.id))!.tasks[0]!;
      expect(task).toMatchObject({ status: 'completed', attempt: 1, leaseToken: null });
      expect(task.startedAt).not.toBeNull();
      await worker.close();
      await h.dalston.close();
    }
  });

  it('a handler that outlives the delay has its start written then, and keeps its lease', async () => {
    const h = await harness({ pipeline: one, config: { startWriteDelayMs: 50, leaseMs: 3000 } });
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started = false;
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async () => {
        started = true;
        await held;
        return 'done';
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(() => started);
    expect(await statusOf(h, job.id)).toBe('pending'); // not written yet
    await h.advance(50);
    await until(async () => (await statusOf(h, job.id)) === 'running');
    for (let i = 0; i < 10; i++) await h.advance(1000); // heartbeats keep the lease past 3 × leaseMs
    expect(await statusOf(h, job.id)).toBe('running');
    release();
    await until(async () => (await statusOf(h, job.id)) === 'completed');
    expect(await types(h, job.id)).toEqual([
      'job.created',
      'task.ready',
      'task.started',
      'task.completed',
      'job.completed',
    ]);
    await worker.close();
    await h.dalston.close();
  });

  it('progress writes a folded start first', async () => {
    const h = await harness({ pipeline: one, config: { startWriteDelayMs: 50 } });
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        await ctx.progress({ pct: 50 });
        return 'done';
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(async () => (await statusOf(h, job.id)) === 'completed');
    expect(await types(h, job.id)).toEqual([
      'job.created',
      'task.ready',
      'task.started',
      'task.progress',
      'task.completed',
      'job.completed',
    ]);
    await worker.close();
    await h.dalston.close();
  });

  it('a cancel in this process aborts a handler whose start is not written; nothing of it is recorded', async () => {
    const h = await harness({ pipeline: one, config: { startWriteDelayMs: 50 } });
    let signal: AbortSignal | null = null;
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        signal = ctx.signal;
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        return 'too late';
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(() => signal !== null);
    (await h.dalston.jobs.cancel(h.tenantId, job.id))._unsafeUnwrap();
    await until(() => signal!.aborted);
    expect(await statusOf(h, job.id)).toBe('cancelled');
    await until(() => worker.stats().running === 0);
    expect(await types(h, job.id)).toEqual(['job.created', 'task.ready', 'task.cancelled', 'job.cancelled']);
    // Its message is done (acked), not left to be redelivered.
    await until(async () => {
      const stats = await h.adapters.workQueue.stats('q');
      return stats.ready === 0 && stats.delayed === 0 && stats.leased === 0;
    });
    await worker.close();
    await h.dalston.close();
  });

  it('a cancel from another process reaches the handler when its start is written (refused)', async () => {
    const h = await harness({ pipeline: one, config: { startWriteDelayMs: 50 } });
    const other = createDalston({ adapters: h.adapters, pipeline: one }); // another process
    let signal: AbortSignal | null = null;
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        signal = ctx.signal;
        await new Promise((r) => ctx.signal.addEventListener('abort', r));
        return 'too late';
      },
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(() => signal !== null);
    (await other.jobs.cancel(h.tenantId, job.id))._unsafeUnwrap();
    expect(signal!.aborted).toBe(false);
    await h.advance(50); // the start is written, and refused
    await until(() => signal!.aborted);
    expect((signal!.reason as { code?: string }).code).toBe('CANCELLED');
    await until(() => worker.stats().running === 0);
    expect(await statusOf(h, job.id)).toBe('cancelled');
    expect(await types(h, job.id)).toEqual(['job.created', 'task.ready', 'task.cancelled', 'job.cancelled']);
    await worker.close();
    await h.dalston.close();
  });
  it('a redelivered message is not folded: its start is written before the handler runs', async () => {
    const calls = { updates: 0 };
    const h = await harness({
      pipeline: one,
      config: { startWriteDelayMs: 50 },
      wrap: countingUpdates(calls),
    });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    // A first holder that dies: leases the message and never acks it.
    const first = await h.adapters.workQueue.lease(['q'], { leaseMs: 1000, waitMs: 0 });
    expect(first?.deliveries).toBe(1);
    await h.advance(1001);
    let statusInHandler: string | null = null;
    const worker = h.dalston.createWorker({
      queues: ['q'],
      handler: async () => {
        statusInHandler = await statusOf(h, job.id);
        return 'ok';
      },
    });
    await until(async () => (await statusOf(h, job.id)) === 'completed');
    expect(statusInHandler, 'the start was written before the handler ran').toBe('running');
    expect(calls.updates).toBe(2);
    await worker.close();
    await h.dalston.close();
  });
});
