/**
 * WorkQueue contract, basics: idempotent enqueue, validation, priority and FIFO order,
 * notBefore, exact stats, remove.
 */
import { describe, expect, it } from 'vitest';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { noWait, queueMessage } from './work-queue.messages.js';

export function workQueueBasicsContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: Parameters<typeof withFixture<WorkQueue>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: WorkQueue basics`, () => {
    test('enqueue is idempotent per message id (ready, leased, or twice in one batch)', async ({ port }) => {
      const q = randomName('q');
      const a = queueMessage(q);
      const b = queueMessage(q);
      expect(await port.enqueue([a, b, a])).toBe(2);
      expect(await port.enqueue([a])).toBe(0);
      const lease = await port.lease([q], noWait());
      expect(lease?.message.id).toBe(a.id);
      expect(await port.enqueue([a])).toBe(0); // leased: still skipped
      expect(await port.stats(q)).toEqual({ ready: 1, delayed: 0, leased: 1, dead: 0 });
    });

    test('a lease carries the message, a token, deliveries 1 and its expiry', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q, { priority: 3 });
      await port.enqueue([m]);
      const before = time.now();
      const lease = await port.lease([q], noWait(400));
      expect(lease).not.toBeNull();
      expect(lease!.message).toEqual(m);
      expect(lease!.deliveries).toBe(1);
      expect(typeof lease!.token).toBe('string');
      expect(lease!.token.length).toBeGreaterThan(0);
      expect(lease!.expiresAt).toBeGreaterThanOrEqual(before + 400 - 50);
      expect(lease!.expiresAt).toBeLessThanOrEqual(time.now() + 400 + 50);
    });

    test('rejects a malformed message with VALIDATION_FAILED naming the field, adding nothing', async ({
      port,
    }) => {
      const q = randomName('q');
      const good = queueMessage(q);
      const bad = { ...queueMessage(q), maxDeliveries: 0 };
      await expect(port.enqueue([good, bad])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('maxDeliveries'),
      });
      const noQueue = { ...queueMessage(q), queue: '' };
      await expect(port.enqueue([noQueue])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const badAttempt = { ...queueMessage(q), attempt: 1.5 };
      await expect(port.enqueue([badAttempt])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('attempt'),
      });
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    });

    test('leases the highest priority first', async ({ port }) => {
      const q = randomName('q');
      const low = queueMessage(q, { priority: 0 });
      const high = queueMessage(q, { priority: 5 });
      const mid = queueMessage(q, { priority: 1 });
      const negative = queueMessage(q, { priority: -2 });
      await port.enqueue([low, negative]);
      await port.enqueue([high, mid]);
      const order: string[] = [];
      for (let i = 0; i < 4; i++) order.push((await port.lease([q], noWait()))!.message.id);
      expect(order).toEqual([high.id, mid.id, low.id, negative.id]);
      expect(await port.lease([q], noWait())).toBeNull();
    });

    test('first in, first out within a priority (one batch and separate calls)', async ({ port }) => {
      const q = randomName('q');
      const batch = Array.from({ length: 5 }, () => queueMessage(q, { priority: 2 }));
      await port.enqueue(batch);
      const later = [queueMessage(q, { priority: 2 }), queueMessage(q, { priority: 2 })];
      for (const m of later) await port.enqueue([m]);
      const expected = [...batch, ...later].map((m) => m.id);
      const got: string[] = [];
      for (let i = 0; i < expected.length; i++) got.push((await port.lease([q], noWait()))!.message.id);
      expect(got).toEqual(expected);
    });

    test('leases from the first of the queues that has a message', async ({ port }) => {
      const [qa, qb, qc] = [randomName('qa'), randomName('qb'), randomName('qc')];
      const inB = queueMessage(qb, { priority: 0 });
      const inC = queueMessage(qc, { priority: 9 });
      await port.enqueue([inB, inC]);
      expect((await port.lease([qa, qb, qc], noWait()))!.message.id).toBe(inB.id);
      expect((await port.lease([qa, qb, qc], noWait()))!.message.id).toBe(inC.id);
      expect(await port.lease([qa, qb, qc], noWait())).toBeNull();
    });

    test('a message is not leasable before notBefore, then it is', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q, { notBefore: time.now() + 300 });
      const now = queueMessage(q, { notBefore: time.now() - 1000 });
      await port.enqueue([m, now]);
      expect(await port.stats(q)).toEqual({ ready: 1, delayed: 1, leased: 0, dead: 0 });
      expect((await port.lease([q], noWait()))!.message.id).toBe(now.id);
      expect(await port.lease([q], noWait())).toBeNull();
      await time.advance(400);
      expect(await port.stats(q)).toMatchObject({ ready: 1, delayed: 0 });
      expect((await port.lease([q], noWait()))!.message.id).toBe(m.id);
    });

    test('stats are exact for ready, delayed, leased and dead', async ({ port, time }) => {
      const q = randomName('q');
      const other = randomName('q');
      const ready = Array.from({ length: 3 }, () => queueMessage(q));
      const delayed = Array.from({ length: 2 }, () => queueMessage(q, { notBefore: time.now() + 60_000 }));
      const poison = queueMessage(q, { maxDeliveries: 1, priority: 10 });
      await port.enqueue([...ready, ...delayed, poison, queueMessage(other)]);
      expect(await port.stats(q)).toEqual({ ready: 4, delayed: 2, leased: 0, dead: 0 });
      const lease = await port.lease([q], { leaseMs: 200, waitMs: 0 });
      expect(lease!.message.id).toBe(poison.id);
      await port.lease([q], noWait(60_000));
      expect(await port.stats(q)).toEqual({ ready: 2, delayed: 2, leased: 2, dead: 0 });
      await time.advance(300); // the poison's lease expires; its next delivery would exceed 1
      await port.lease([q], noWait(60_000));
      expect(await port.stats(q)).toEqual({ ready: 1, delayed: 2, leased: 2, dead: 1 });
      expect(await port.stats(other)).toEqual({ ready: 1, delayed: 0, leased: 0, dead: 0 });
      expect(await port.stats(randomName('empty'))).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    });

    test('remove takes a ready, delayed or leased message out; idempotent', async ({ port, time }) => {
      const q = randomName('q');
      const ready = queueMessage(q);
      const delayed = queueMessage(q, { notBefore: time.now() + 60_000 });
      const leased = queueMessage(q, { priority: 1 });
      await port.enqueue([ready, delayed, leased]);
      const lease = await port.lease([q], noWait());
      expect(lease!.message.id).toBe(leased.id);
      for (const m of [ready, delayed, leased]) {
        expect(await port.remove(q, m.id)).toBe(true);
        expect(await port.remove(q, m.id)).toBe(false);
      }
      expect(await port.ack(q, leased.id, lease!.token)).toBe(false);
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
      expect(await port.lease([q], noWait())).toBeNull();
      expect(await port.enqueue([ready])).toBe(1); // a removed id can be queued again
    });

    test('queues are independent', async ({ port }) => {
      const [qa, qb] = [randomName('qa'), randomName('qb')];
      const m = queueMessage(qa);
      await port.enqueue([m, { ...m, queue: qb }]);
      expect(await port.stats(qa)).toMatchObject({ ready: 1 });
      expect(await port.stats(qb)).toMatchObject({ ready: 1 });
      expect(await port.remove(qa, m.id)).toBe(true);
      expect((await port.lease([qb], noWait()))!.message.queue).toBe(qb);
    });

    test('ping resolves while the queue is up', async ({ port }) => {
      await expect(port.ping()).resolves.toBeUndefined();
    });
  });
}
