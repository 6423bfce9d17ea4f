/**
 * WorkQueue contract, blocking lease: a waiting lease wakes on enqueue, on a delayed
 * message falling due and on an expired lease; waitMs, abort and close resolve null;
 * waits over several queues. No test assumes instant delivery: each waits for the
 * outcome up to a deadline.
 */
import { describe, expect, it } from 'vitest';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PortFactory } from './fixture.js';
import { eventually, randomName, settle, track, withFixture, yieldTurns } from './harness.js';
import { noWait, queueMessage } from './work-queue.messages.js';

/** Long enough that a test never sees the wait run out by itself. */
const LONG_WAIT = 5000;

export function workQueueBlockingContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: Parameters<typeof withFixture<WorkQueue>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: WorkQueue blocking lease`, () => {
    test('a waiting lease wakes on enqueue', async ({ port, time }) => {
      const q = randomName('q');
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      await time.advance(50);
      expect(waiting.settled).toBe(false);
      const m = queueMessage(q);
      await port.enqueue([m]);
      const lease = await settle(time, waiting);
      expect(lease?.message.id).toBe(m.id);
      expect(lease?.deliveries).toBe(1);
    });

    test('waitMs runs out: the lease resolves null', async ({ port, time }) => {
      const q = randomName('q');
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: 300 }));
      await time.advance(100);
      expect(waiting.settled).toBe(false);
      await time.advance(250);
      expect(await settle(time, waiting)).toBeNull();
      // Nothing of the wait lingers: a later message stays queued.
      await port.enqueue([queueMessage(q)]);
      expect(await port.stats(q)).toMatchObject({ ready: 1, leased: 0 });
    });

    test('aborting the signal resolves the wait with null; an aborted signal does not wait', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const controller = new AbortController();
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT, signal: controller.signal }));
      await time.advance(50);
      controller.abort();
      expect(await settle(time, waiting, 1000)).toBeNull();
      await port.enqueue([queueMessage(q)]);
      expect(await port.stats(q)).toMatchObject({ ready: 1, leased: 0 });
      const aborted = new AbortController();
      aborted.abort();
      const immediate = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT, signal: aborted.signal }));
      expect(await settle(time, immediate, 1000)).toBeNull();
    });

    test('a wait over several queues takes from whichever gets a message', async ({ port, time }) => {
      const [qa, qb] = [randomName('qa'), randomName('qb')];
      const both = track(port.lease([qa, qb], { leaseMs: 500, waitMs: LONG_WAIT }));
      const controller = new AbortController();
      const onlyA = track(port.lease([qa], { leaseMs: 500, waitMs: LONG_WAIT, signal: controller.signal }));
      await time.advance(50);
      const m = queueMessage(qb);
      await port.enqueue([m]);
      expect((await settle(time, both))?.message.id).toBe(m.id);
      await time.advance(50);
      expect(onlyA.settled).toBe(false);
      controller.abort();
      expect(await settle(time, onlyA)).toBeNull();
    });

    test('one message wakes exactly one of two waiters', async ({ port, time }) => {
      const q = randomName('q');
      const first = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      const second = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      await time.advance(50);
      const m1 = queueMessage(q);
      await port.enqueue([m1]);
      await eventually(time, () => first.settled || second.settled);
      const winner = await Promise.race([first.promise, second.promise]);
      expect(winner?.message.id).toBe(m1.id);
      await time.advance(50);
      expect([first.settled, second.settled].filter(Boolean)).toHaveLength(1);
      const m2 = queueMessage(q);
      await port.enqueue([m2]);
      const [a, b] = [await settle(time, first), await settle(time, second)];
      expect([a?.message.id, b?.message.id].sort()).toEqual([m1.id, m2.id].sort());
    });

    test('a waiting lease wakes when a delayed message falls due', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q, { notBefore: time.now() + 300 });
      await port.enqueue([m]);
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      await time.advance(100);
      expect(waiting.settled).toBe(false);
      await time.advance(300);
      expect((await settle(time, waiting))?.message.id).toBe(m.id);
    });

    test('a waiting lease wakes when another lease expires', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      const first = (await port.lease([q], noWait(200)))!;
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      await time.advance(300);
      const second = await settle(time, waiting);
      expect(second?.message.id).toBe(m.id);
      expect(second?.deliveries).toBe(2);
      expect(second?.token).not.toBe(first.token);
    });

    test('close resolves pending waits with null', async ({ port, time }) => {
      const q = randomName('q');
      const waiting = track(port.lease([q], { leaseMs: 500, waitMs: LONG_WAIT }));
      await yieldTurns();
      await port.close();
      expect(await settle(time, waiting, 1000)).toBeNull();
      await port.close(); // idempotent
    });
  });
}
