/**
 * Progress coalescing on the memory set with a manual clock: a handler calling
 * `ctx.progress()` 10,000 times writes at most one `task.progress` event per
 * `progressIntervalMs` plus the final value (ceil(D / interval) + 1 over D ms), the last
 * event carrying the last value; with no time passing only the first and the last value
 * are written; a value reported after a write is held, not lost, while the handler keeps
 * running; a bad interval is refused.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/domain/json.js';
import { type Harness, harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

async function progressOf(h: Harness, jobId: string): Promise<JsonObject[]> {
  const events = (await h.dalston.jobs.readEvents(h.tenantId, jobId, { limit: 1000 }))._unsafeUnwrap();
  return events.filter((e) => e.type === 'task.progress').map((e) => e.payload.progress as JsonObject);
}

async function runJob(h: Harness): Promise<string> {
  const id = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap().id;
  await until(async () => (await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().status === 'completed');
  return id;
}

describe('progress coalescing', () => {
  it('10,000 progress calls over D ms write at most ceil(D / interval) + 1 events, the last value last', async () => {
    const intervalMs = 100;
    const h = await harness({ pipeline: one, config: { progressIntervalMs: intervalMs } });
    const span = { first: 0, last: 0 };
    h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        span.first = h.clock.now();
        for (let i = 0; i < 10_000; i++) {
          await ctx.progress({ i });
          if (i % 128 === 127) await h.advance(7); // the handler's work takes time
        }
        span.last = h.clock.now();
        return { ok: true };
      },
    });
    const id = await runJob(h);
    const progress = await progressOf(h, id);
    const duration = span.last - span.first;
    expect(duration).toBe(546);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(duration / intervalMs) + 1);
    expect(progress.length).toBeGreaterThanOrEqual(Math.floor(duration / intervalMs));
    expect(progress[0]).toEqual({ i: 0 });
    expect(progress.at(-1)).toEqual({ i: 9999 });
    const values = progress.map((p) => p.i as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    await h.dalston.close();
  });

  it('a tight loop with no time passing writes the first and the last value only', async () => {
    const h = await harness({ pipeline: one });
    h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        for (let i = 0; i < 10_000; i++) void ctx.progress({ i, note: 'x'.repeat(i % 7) });
        return { ok: true };
      },
    });
    const id = await runJob(h);
    expect(await progressOf(h, id)).toEqual([
      { i: 0, note: '' },
      { i: 9999, note: 'x'.repeat(9999 % 7) },
    ]);
    await h.dalston.close();
  });

  it('a held value is written when the interval has passed, while the handler still runs', async () => {
    const h = await harness({ pipeline: one, config: { progressIntervalMs: 1000 } });
    let release = () => {};
    const done = new Promise<void>((r) => {
      release = r;
    });
    h.dalston.createWorker({
      queues: ['q'],
      handler: async (ctx) => {
        await ctx.progress({ pct: 10 });
        const held = { pct: 20 };
        await ctx.progress(held);
        held.pct = 99; // the engine keeps its own copy of what was reported
        await done;
        return { ok: true };
      },
    });
    const id = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap().id;
    await until(async () => (await progressOf(h, id)).length === 1);
    await h.advance(999);
    expect(await progressOf(h, id)).toEqual([{ pct: 10 }]);
    await h.advance(1);
    await until(async () => (await progressOf(h, id)).length === 2);
    expect(await progressOf(h, id)).toEqual([{ pct: 10 }, { pct: 20 }]);
    release();
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, id))._unsafeUnwrap().status === 'completed',
    );
    expect(await progressOf(h, id)).toEqual([{ pct: 10 }, { pct: 20 }]);
    await h.dalston.close();
  });

  it('progressIntervalMs must be a whole number of ms >= 0', async () => {
    const { createDalston } = await import('../../src/create-dalston.js');
    const { memoryAdapters } = await import('@dalston/adapter-memory');
    for (const progressIntervalMs of [-1, 1.5]) {
      expect(() =>
        createDalston({ adapters: memoryAdapters(), pipeline: one, config: { progressIntervalMs } }),
      ).toThrow(/config\.progressIntervalMs/);
    }
  });
});
