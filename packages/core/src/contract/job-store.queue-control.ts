/**
 * JobStore contract: queue pause switches (QueueControlStore). A switch is stored as set,
 * setting the value it has changes nothing (not even `changedAt`), every switch is listed
 * by queue name, and a second store on the same data (another engine) sees it. Stores may
 * be shared by other tests: each test looks only at its own random queue names.
 */
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../ports/job-store.js';
import type { PortFactory } from './fixture.js';
import { randomName } from './harness.js';
import { useFixture } from './store-helpers.js';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export function jobStoreQueueControlContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore queue control`, () => {
    const fx = useFixture(factory);

    it('pauses and resumes a queue; the same value again changes nothing', async () => {
      const store = fx().port;
      const q = randomName('q');
      expect((await store.queueControls()).filter((c) => c.queue === q)).toEqual([]);
      expect(await store.setQueuePaused(q, true, T0)).toEqual({ queue: q, paused: true, changedAt: T0 });
      expect(await store.setQueuePaused(q, true, T0 + 5)).toEqual({ queue: q, paused: true, changedAt: T0 });
      expect((await store.queueControls()).filter((c) => c.queue === q)).toEqual([
        { queue: q, paused: true, changedAt: T0 },
      ]);
      expect(await store.setQueuePaused(q, false, T0 + 10)).toEqual({
        queue: q,
        paused: false,
        changedAt: T0 + 10,
      });
      expect(await store.setQueuePaused(q, false, T0 + 20)).toMatchObject({
        paused: false,
        changedAt: T0 + 10,
      });
      expect((await store.queueControls()).filter((c) => c.queue === q)).toEqual([
        { queue: q, paused: false, changedAt: T0 + 10 },
      ]);
    });

    it('a queue resumed before it was ever paused gets a switch saying so', async () => {
      const store = fx().port;
      const q = randomName('q');
      expect(await store.setQueuePaused(q, false, T0)).toEqual({ queue: q, paused: false, changedAt: T0 });
    });

    it('lists every switch by queue name in byte order', async () => {
      const store = fx().port;
      const base = randomName('q');
      const names = [`${base}-b`, `${base}-a`, `${base}-a_2`, `${base}-A`];
      for (const [i, q] of names.entries()) await store.setQueuePaused(q, i % 2 === 0, T0 + i);
      const mine = (await store.queueControls()).filter((c) => c.queue.startsWith(base));
      expect(mine.map((c) => c.queue)).toEqual([`${base}-A`, `${base}-a`, `${base}-a_2`, `${base}-b`]);
      expect(mine.find((c) => c.queue === `${base}-b`)).toEqual({
        queue: `${base}-b`,
        paused: true,
        changedAt: T0,
      });
    });

    it('concurrent pauses and resumes of one queue leave one switch holding the last value written', async () => {
      const store = fx().port;
      const q = randomName('q');
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.setQueuePaused(q, i % 2 === 0, T0 + i)));
      const mine = (await store.queueControls()).filter((c) => c.queue === q);
      expect(mine).toHaveLength(1);
      const last = await store.setQueuePaused(q, true, T0 + 100);
      expect(last.paused).toBe(true);
      expect((await store.queueControls()).find((c) => c.queue === q)).toEqual(last);
    });
  });
}
