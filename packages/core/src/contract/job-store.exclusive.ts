/**
 * JobStore contract: the exclusive-pass primitive maintenance uses. One holder per name;
 * a held name answers `{ ran: false }` at once; a finished or failed holder releases it;
 * and (for stores whose exclusivity does not end with a connection) a holder that never
 * finishes loses it after its TTL without being able to release its successor's hold.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../ports/job-store.js';
import type { PortFactory } from './fixture.js';
import { useFixture, waitUntil } from './store-helpers.js';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const passName = () => `pass-${randomUUID()}`;

export function jobStoreExclusiveContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore exclusive`, () => {
    const fx = useFixture(factory);

    it('runs the pass and returns its value', async () => {
      const store = fx().port;
      expect(await store.exclusive(passName(), { ttlMs: 300 }, async () => 42)).toEqual({
        ran: true,
        value: 42,
      });
    });

    it('answers ran:false while another holder runs, and runs again once it finished', async () => {
      const store = fx().port;
      const pass = passName();
      const g = gate();
      let entered = false;
      const holder = store.exclusive(pass, { ttlMs: 300 }, async () => {
        entered = true;
        await g.promise;
        return 'first';
      });
      await waitUntil(() => entered);
      let ranSecond = false;
      const second = await store.exclusive(pass, { ttlMs: 300 }, async () => {
        ranSecond = true;
      });
      expect(second).toEqual({ ran: false });
      expect(ranSecond).toBe(false);
      g.open();
      expect(await holder).toEqual({ ran: true, value: 'first' });
      expect(await store.exclusive(pass, { ttlMs: 300 }, async () => 'third')).toEqual({
        ran: true,
        value: 'third',
      });
    });

    it('lets exactly one of many concurrent callers run', async () => {
      const store = fx().port;
      const pass = passName();
      let running = 0;
      let maxRunning = 0;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.exclusive(pass, { ttlMs: 300 }, async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            await new Promise((r) => setImmediate(r));
            running--;
          }),
        ),
      );
      expect(maxRunning).toBe(1);
      expect(results.filter((r) => r.ran).length).toBeGreaterThanOrEqual(1);
    });

    it('keeps names independent', async () => {
      const store = fx().port;
      const g = gate();
      let entered = false;
      const holder = store.exclusive(passName(), { ttlMs: 300 }, () => {
        entered = true;
        return g.promise;
      });
      await waitUntil(() => entered);
      expect(await store.exclusive(passName(), { ttlMs: 300 }, async () => 'other')).toEqual({
        ran: true,
        value: 'other',
      });
      g.open();
      await holder;
    });

    it('releases the name when the pass throws, and passes the error on', async () => {
      const store = fx().port;
      const pass = passName();
      await expect(
        store.exclusive(pass, { ttlMs: 300 }, async () => {
          throw new Error('pass failed');
        }),
      ).rejects.toThrow();
      expect(await store.exclusive(pass, { ttlMs: 300 }, async () => 'after')).toEqual({
        ran: true,
        value: 'after',
      });
    });

    it('keeps the name held within the TTL', async () => {
      const { port: store, time } = fx();
      const pass = passName();
      const g = gate();
      let entered = false;
      const holder = store.exclusive(pass, { ttlMs: 300 }, () => {
        entered = true;
        return g.promise;
      });
      await waitUntil(() => entered);
      await time.advance(100);
      expect(await store.exclusive(pass, { ttlMs: 300 }, async () => 'x')).toEqual({ ran: false });
      g.open();
      await holder;
    });

    it('ends a stuck holder after its TTL, and the stuck holder cannot release its successor', async (ctx) => {
      const { port: store, time } = fx();
      if (store.capabilities.exclusiveEndsWithConnection) {
        ctx.skip();
        return;
      }
      const pass = passName();
      const stuck = gate();
      const successor = gate();
      let entered = 0;
      const first = store.exclusive(pass, { ttlMs: 100 }, () => {
        entered++;
        return stuck.promise;
      });
      await waitUntil(() => entered === 1);
      await time.advance(150);
      const second = store.exclusive(pass, { ttlMs: 300 }, () => {
        entered++;
        return successor.promise;
      });
      await waitUntil(() => entered === 2);
      stuck.open();
      expect(await first).toEqual({ ran: true, value: undefined });
      expect(await store.exclusive(pass, { ttlMs: 300 }, async () => 'third')).toEqual({ ran: false });
      successor.open();
      expect(await second).toEqual({ ran: true, value: undefined });
    });
  });
}
