/**
 * ProgressCoalescer on its own, with a manual clock and writes the test completes by hand:
 * the first value is written at once, later ones are held (the latest wins) until the
 * interval has passed and no write is in flight; flush() waits for the write in flight and
 * then writes the held value once; discard() drops it; values after either are dropped.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/domain/json.js';
import { ManualClock } from '../../src/runtime/manual-clock.js';
import { ProgressCoalescer } from '../../src/services/workers/progress-coalescer.js';

/** A coalescer whose writes stay in flight until `finish()`; `started` lists what was written. */
function setup(intervalMs = 100) {
  const clock = new ManualClock();
  const started: { value: JsonObject; at: number }[] = [];
  const pending: (() => void)[] = [];
  const coalescer = new ProgressCoalescer({
    clock,
    intervalMs,
    write: (value) =>
      new Promise<void>((resolve) => {
        started.push({ value, at: clock.now() });
        pending.push(resolve);
      }),
  });
  const finish = async () => {
    for (const resolve of pending.splice(0)) resolve();
    await clock.advance(0);
  };
  return { clock, coalescer, started, finish };
}

describe('ProgressCoalescer', () => {
  it('writes the first value at once and the latest held one once the interval has passed', async () => {
    const { clock, coalescer, started, finish } = setup(100);
    void coalescer.report({ n: 1 });
    for (let n = 2; n <= 50; n++) void coalescer.report({ n });
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }]);
    await finish();
    await clock.advance(99);
    expect(started).toHaveLength(1);
    await clock.advance(1);
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 50 }]);
    expect(started[1]!.at - started[0]!.at).toBe(100);
  });

  it('a write slower than the interval delays the next one until it is done', async () => {
    const { clock, coalescer, started, finish } = setup(100);
    void coalescer.report({ n: 1 });
    void coalescer.report({ n: 2 });
    await clock.advance(500);
    expect(started).toHaveLength(1);
    await finish();
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('flush waits for the write in flight, then writes the held value once; later values are dropped', async () => {
    const { clock, coalescer, started, finish } = setup(1000);
    void coalescer.report({ n: 1 });
    void coalescer.report({ n: 2 });
    void coalescer.report({ n: 3 });
    let flushed = false;
    const flush = coalescer.flush().then(() => {
      flushed = true;
    });
    await clock.advance(0);
    expect(started).toHaveLength(1);
    expect(flushed).toBe(false);
    await finish();
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 3 }]);
    await finish();
    await flush;
    void coalescer.report({ n: 4 });
    await clock.advance(5000);
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('flush with nothing held writes nothing more', async () => {
    const { clock, coalescer, started, finish } = setup(1000);
    void coalescer.report({ n: 1 });
    await finish();
    await coalescer.flush();
    await clock.advance(5000);
    expect(started).toHaveLength(1);
  });

  it('discard drops the held value and everything reported later', async () => {
    const { clock, coalescer, started, finish } = setup(100);
    void coalescer.report({ n: 1 });
    void coalescer.report({ n: 2 });
    await finish();
    coalescer.discard();
    void coalescer.report({ n: 3 });
    await clock.advance(1000);
    await finish();
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }]);
  });

  it('interval 0: one write at a time, values reported meanwhile coalesce', async () => {
    const { coalescer, started, finish } = setup(0);
    void coalescer.report({ n: 1 });
    void coalescer.report({ n: 2 });
    void coalescer.report({ n: 3 });
    await finish();
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 3 }]);
    await finish();
    void coalescer.report({ n: 4 });
    expect(started.map((s) => s.value)).toEqual([{ n: 1 }, { n: 3 }, { n: 4 }]);
  });
});
