/**
 * WorkQueue contract, leases: extend, ack fencing, release with and without counting,
 * expiry and redelivery, dead letters after maxDeliveries, exactly one holder under
 * concurrency, nothing left behind after ack.
 */
import { describe, expect, it } from 'vitest';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { noWait, queueMessage } from './work-queue.messages.js';

export function workQueueLeasesContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: Parameters<typeof withFixture<WorkQueue>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: WorkQueue leases`, () => {
    test('extend pushes the expiry; a wrong token gets null', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      // Margins of several hundred ms: real servers on a loaded machine take real time per call.
      const lease = (await port.lease([q], noWait(1000)))!;
      await time.advance(500);
      const expiresAt = await port.extend(q, m.id, lease.token, 1000);
      expect(expiresAt).not.toBeNull();
      expect(expiresAt!).toBeGreaterThan(lease.expiresAt);
      expect(await port.extend(q, m.id, 'not-the-token', 1000)).toBeNull();
      expect(await port.extend(q, randomName('missing'), lease.token, 1000)).toBeNull();
      await time.advance(700); // past the first expiry, within the extended one
      expect(await port.lease([q], noWait())).toBeNull();
      expect(await port.ack(q, m.id, lease.token)).toBe(true);
    });

    test('ack is fenced by the token and idempotent', async ({ port }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      const lease = (await port.lease([q], noWait()))!;
      expect(await port.ack(q, m.id, 'wrong-token')).toBe(false);
      expect(await port.stats(q)).toMatchObject({ leased: 1 });
      expect(await port.ack(q, m.id, lease.token)).toBe(true);
      expect(await port.ack(q, m.id, lease.token)).toBe(false);
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
      expect(await port.enqueue([m])).toBe(1); // acked ids leave no trace behind
    });

    test('release without counting keeps the delivery count; with counting raises it', async ({ port }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      const first = (await port.lease([q], noWait()))!;
      expect(await port.release(q, m.id, 'wrong-token', { delayMs: 0 })).toBe(false);
      expect(await port.release(q, m.id, first.token, { delayMs: 0 })).toBe(true);
      expect(await port.release(q, m.id, first.token, { delayMs: 0 })).toBe(false);
      const second = (await port.lease([q], noWait()))!;
      expect(second.deliveries).toBe(1);
      expect(second.token).not.toBe(first.token);
      expect(await port.release(q, m.id, second.token, { delayMs: 0, countDelivery: true })).toBe(true);
      const third = (await port.lease([q], noWait()))!;
      expect(third.deliveries).toBe(2);
      expect(await port.ack(q, m.id, second.token)).toBe(false); // stale token
    });

    test('release with a delay makes the message delayed until then', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      const lease = (await port.lease([q], noWait()))!;
      expect(await port.release(q, m.id, lease.token, { delayMs: 300 })).toBe(true);
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 1, leased: 0, dead: 0 });
      expect(await port.lease([q], noWait())).toBeNull();
      await time.advance(400);
      expect((await port.lease([q], noWait()))?.message.id).toBe(m.id);
    });

    test('an expired lease comes back with its delivery count raised; the old token is dead', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const m = queueMessage(q);
      await port.enqueue([m]);
      const first = (await port.lease([q], noWait(200)))!;
      expect(await port.lease([q], noWait())).toBeNull();
      await time.advance(300);
      const second = (await port.lease([q], noWait(500)))!;
      expect(second.message).toEqual(m);
      expect(second.deliveries).toBe(2);
      expect(second.token).not.toBe(first.token);
      expect(await port.extend(q, m.id, first.token, 500)).toBeNull();
      expect(await port.ack(q, m.id, first.token)).toBe(false);
      expect(await port.release(q, m.id, first.token, { delayMs: 0 })).toBe(false);
      expect(await port.ack(q, m.id, second.token)).toBe(true);
    });

    test('past maxDeliveries a message moves to the dead letters with the reason', async ({ port, time }) => {
      const q = randomName('q');
      const m = queueMessage(q, { maxDeliveries: 2 });
      await port.enqueue([m]);
      expect((await port.lease([q], noWait(200)))!.deliveries).toBe(1);
      await time.advance(300);
      expect((await port.lease([q], noWait(200)))!.deliveries).toBe(2);
      await time.advance(300);
      const before = time.now();
      expect(await port.lease([q], noWait(200))).toBeNull();
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 1 });
      const dead = await port.deadLetters(q, 10);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({
        id: m.id,
        queue: q,
        message: m,
        raw: null,
        reason: 'max deliveries (2) exceeded',
        deliveries: 2,
      });
      expect(dead[0]!.at).toBeGreaterThanOrEqual(before - 50);
      expect(await port.enqueue([m])).toBe(0); // a dead id is not queued again
    });

    test('a poison message is dead-lettered and the lease goes on to the next message', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const poison = queueMessage(q, { maxDeliveries: 1, priority: 9 });
      const good = queueMessage(q);
      await port.enqueue([poison, good]);
      expect((await port.lease([q], noWait(200)))!.message.id).toBe(poison.id);
      await time.advance(300);
      const next = await port.lease([q], noWait());
      expect(next?.message.id).toBe(good.id);
      expect((await port.deadLetters(q, 10)).map((d) => d.id)).toEqual([poison.id]);
    });

    test('dead letters are listed oldest first, limited, and removable one by one', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 3 }, (_, i) =>
        queueMessage(q, { maxDeliveries: 1, priority: 3 - i }),
      );
      await port.enqueue(poison);
      for (let i = 0; i < 3; i++) await port.lease([q], noWait(200));
      await time.advance(300);
      expect(await port.lease([q], noWait())).toBeNull();
      expect((await port.deadLetters(q, 10)).map((d) => d.id)).toEqual(poison.map((m) => m.id));
      expect(await port.deadLetters(q, 2)).toHaveLength(2);
      expect(await port.removeDeadLetter(q, poison[1]!.id)).toBe(true);
      expect(await port.removeDeadLetter(q, poison[1]!.id)).toBe(false);
      expect((await port.deadLetters(q, 10)).map((d) => d.id)).toEqual([poison[0]!.id, poison[2]!.id]);
      expect(await port.stats(q)).toMatchObject({ dead: 2 });
      expect(await port.deadLetters(randomName('empty'), 10)).toEqual([]);
    });

    test('200 concurrent leases on 100 messages: each message goes to exactly one caller', async ({
      port,
    }) => {
      const q = randomName('q');
      const messages = Array.from({ length: 100 }, () => queueMessage(q));
      expect(await port.enqueue(messages)).toBe(100);
      const leases = await Promise.all(Array.from({ length: 200 }, () => port.lease([q], noWait(60_000))));
      const got = leases.filter((l) => l !== null);
      expect(got).toHaveLength(100);
      expect(new Set(got.map((l) => l.message.id)).size).toBe(100);
      expect(new Set(got.map((l) => l.token)).size).toBe(100);
      const acks = await Promise.all(got.map((l) => port.ack(q, l.message.id, l.token)));
      expect(acks.every(Boolean)).toBe(true);
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
      expect(await port.deadLetters(q, 10)).toEqual([]);
      expect(await port.lease([q], noWait())).toBeNull();
    });
  });
}
