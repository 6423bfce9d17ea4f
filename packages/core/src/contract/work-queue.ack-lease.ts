/**
 * WorkQueue contract, `ackAndLease` (capability `ackAndLease`): it behaves exactly as
 * `ack` followed by `lease`: the ack is fenced by the token, the lease follows the same
 * order and delivery rules, a wait wakes on enqueue, bad lease arguments ack nothing.
 * Adapters that do not declare the capability skip this group (the worker then calls
 * `ack` and `lease`).
 */
import { describe, expect, it } from 'vitest';
import type { AckRef, Lease, WorkQueue } from '../ports/work-queue.js';
import type { PortFactory, PortFixture } from './fixture.js';
import { randomName, settle, track, withFixture } from './harness.js';
import { noWait, queueMessage } from './work-queue.messages.js';

const refOf = (lease: Lease): AckRef => ({
  queue: lease.message.queue,
  messageId: lease.message.id,
  token: lease.token,
});

export function workQueueAckLeaseContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: (f: PortFixture<WorkQueue>) => Promise<void>) =>
    it(title, (ctx) =>
      withFixture(factory, async (f) => {
        if (!f.port.capabilities.ackAndLease) {
          ctx.skip();
          return;
        }
        await body(f);
      }),
    );
  const ackAndLease = (port: WorkQueue) => port.ackAndLease!.bind(port);

  describe(`${name}: WorkQueue ackAndLease`, () => {
    test('acks the finished message for good and leases the next, in order', async ({ port }) => {
      const q = randomName('q');
      const [a, b, c] = [queueMessage(q), queueMessage(q), queueMessage(q, { priority: 1 })];
      await port.enqueue([a, b, c]);
      const first = (await port.lease([q], noWait()))!;
      expect(first.message.id).toBe(c.id);
      const r1 = await ackAndLease(port)(refOf(first), [q], noWait());
      expect(r1.acked).toBe(true);
      expect(r1.lease?.message).toEqual(a);
      expect(r1.lease?.deliveries).toBe(1);
      expect(r1.lease?.token).not.toBe(first.token);
      const r2 = await ackAndLease(port)(refOf(r1.lease!), [q], noWait());
      expect(r2).toMatchObject({ acked: true, lease: { message: b } });
      const r3 = await ackAndLease(port)(refOf(r2.lease!), [q], noWait());
      expect(r3).toEqual({ acked: true, lease: null });
      expect(await port.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
      expect(await port.enqueue([a])).toBe(1); // acked for good: the id can be queued again
    });

    test('a wrong token acks nothing and still leases', async ({ port }) => {
      const q = randomName('q');
      const [a, b] = [queueMessage(q), queueMessage(q)];
      await port.enqueue([a, b]);
      const held = (await port.lease([q], noWait()))!;
      const r = await ackAndLease(port)({ ...refOf(held), token: 'not-the-token' }, [q], noWait());
      expect(r.acked).toBe(false);
      expect(r.lease?.message.id).toBe(b.id);
      expect(await port.stats(q)).toMatchObject({ ready: 0, leased: 2 });
      expect(await port.ack(q, held.message.id, held.token)).toBe(true); // still held by its token
    });

    test('acking twice: the second ack reports false', async ({ port }) => {
      const q = randomName('q');
      await port.enqueue([queueMessage(q)]);
      const held = (await port.lease([q], noWait()))!;
      expect((await ackAndLease(port)(refOf(held), [q], noWait())).acked).toBe(true);
      expect(await ackAndLease(port)(refOf(held), [q], noWait())).toEqual({ acked: false, lease: null });
    });

    test('acks on one queue and leases from others, first queue first', async ({ port }) => {
      const [q1, q2, q3] = [randomName('q'), randomName('q'), randomName('q')];
      const done = queueMessage(q1);
      const [m2, m3] = [queueMessage(q2), queueMessage(q3)];
      await port.enqueue([done, m3, m2]);
      const held = (await port.lease([q1], noWait()))!;
      const r = await ackAndLease(port)(refOf(held), [q3, q2], noWait());
      expect(r).toMatchObject({ acked: true, lease: { message: m3 } });
      expect(await port.stats(q1)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
      const r2 = await ackAndLease(port)(refOf(r.lease!), [q1, q2], noWait());
      expect(r2).toMatchObject({ acked: true, lease: { message: m2 } });
    });

    test('the lease counts deliveries and dead-letters past maxDeliveries like lease', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const once = queueMessage(q, { maxDeliveries: 1 });
      const done = queueMessage(q);
      await port.enqueue([done]);
      const held = (await port.lease([q], noWait()))!;
      await port.enqueue([once]);
      const first = (await port.lease([q], noWait(100)))!;
      expect(first.message.id).toBe(once.id);
      await time.advance(150); // the lease of `once` expires: its next delivery would be the second
      const r = await ackAndLease(port)(refOf(held), [q], noWait());
      expect(r).toEqual({ acked: true, lease: null });
      const dead = await port.deadLetters(q, 10);
      expect(dead.map((d) => [d.id, d.deliveries])).toEqual([[once.id, 1]]);
    });

    test('waits up to waitMs for the next message and wakes on enqueue', async ({ port, time }) => {
      const q = randomName('q');
      await port.enqueue([queueMessage(q)]);
      const held = (await port.lease([q], noWait()))!;
      const waiting = track(ackAndLease(port)(refOf(held), [q], { leaseMs: 500, waitMs: 5000 }));
      await time.advance(50);
      expect(waiting.settled).toBe(false);
      expect(await port.stats(q)).toMatchObject({ leased: 0 }); // acked before waiting
      const next = queueMessage(q);
      await port.enqueue([next]);
      const r = await settle(time, waiting);
      expect(r).toMatchObject({ acked: true, lease: { message: next, deliveries: 1 } });
    });

    test('an aborted wait resolves with the ack done and no lease', async ({ port, time }) => {
      const q = randomName('q');
      await port.enqueue([queueMessage(q)]);
      const held = (await port.lease([q], noWait()))!;
      const abort = new AbortController();
      const waiting = track(
        ackAndLease(port)(refOf(held), [q], { leaseMs: 500, waitMs: 5000, signal: abort.signal }),
      );
      await time.advance(50);
      abort.abort();
      expect(await settle(time, waiting)).toEqual({ acked: true, lease: null });
    });

    test('bad lease arguments reject with VALIDATION_FAILED and ack nothing', async ({ port }) => {
      const q = randomName('q');
      await port.enqueue([queueMessage(q)]);
      const held = (await port.lease([q], noWait()))!;
      await expect(ackAndLease(port)(refOf(held), [], noWait())).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('queues'),
      });
      await expect(ackAndLease(port)(refOf(held), [q], { leaseMs: 0, waitMs: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('leaseMs'),
      });
      expect(await port.stats(q)).toMatchObject({ leased: 1 });
      expect(await port.ack(q, held.message.id, held.token)).toBe(true);
    });
  });
}
