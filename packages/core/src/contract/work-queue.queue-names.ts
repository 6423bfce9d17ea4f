/**
 * WorkQueue contract, `queueNames`: every queue holding a ready, delayed or leased message
 * or a dead letter is named (byte order); a queue emptied by acks or removals is not.
 * Stores may be shared: the test looks only at its own random names.
 */
import { describe, expect, it } from 'vitest';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { makeDeadLetters } from './work-queue.dead-letters.js';
import { noWait, queueMessage } from './work-queue.messages.js';

export function workQueueQueueNamesContract(name: string, factory: PortFactory<WorkQueue>): void {
  describe(`${name}: WorkQueue queue names`, () => {
    it('names the queues that hold something, in byte order', { timeout: 60_000 }, () =>
      withFixture(factory, async ({ port, time }) => {
        const base = randomName('q');
        const [ready, delayed, leased, dead, emptied, removed] = ['f', 'e', 'd', 'c', 'b', 'a'].map(
          (s) => `${base}-${s}`,
        );
        const gone = queueMessage(removed!);
        await port.enqueue([
          queueMessage(ready!),
          queueMessage(delayed!, { notBefore: time.now() + 3_600_000 }),
          queueMessage(leased!),
          queueMessage(emptied!),
          gone,
        ]);
        expect(await port.lease([leased!], noWait(60_000))).not.toBeNull();
        const done = await port.lease([emptied!], noWait(60_000));
        expect(await port.ack(emptied!, done!.message.id, done!.token)).toBe(true);
        expect(await port.remove(removed!, gone.id)).toBe(true);
        await makeDeadLetters(port, time, dead!, [queueMessage(dead!, { maxDeliveries: 1 })]);
        const mine = (await port.queueNames()).filter((q) => q.startsWith(base));
        expect(mine).toEqual([dead, leased, delayed, ready]);
        expect(await port.queueNames()).toEqual(
          [...(await port.queueNames())].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      }),
    );
  });
}
