/**
 * WorkQueue contract, what the reconciler relies on: unprocessed dead letters (read page by
 * page, marked processed, never read again, still listed for operators; more than a page
 * of them) and the store's epoch (stable while the data lives).
 */
import { describe, expect, it } from 'vitest';
import type { QueueMessage, WorkQueue } from '../ports/work-queue.js';
import type { PortFactory, TimeControl } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { expectDalstonError } from './store-helpers.js';
import { noWait, queueMessage } from './work-queue.messages.js';

/** Dead-letters `messages` of `q` (one delivery each, then past maxDeliveries; maxDeliveries 1, nothing else live in `q`). */
export async function makeDeadLetters(
  port: WorkQueue,
  time: TimeControl,
  q: string,
  messages: QueueMessage[],
): Promise<void> {
  const before = (await port.stats(q)).dead;
  await port.enqueue(messages);
  for (let i = 0; i < messages.length; i++) expect(await port.lease([q], noWait(100))).not.toBeNull();
  await time.advance(200);
  for (let i = 0; i < 10 && (await port.stats(q)).dead < before + messages.length; i++) {
    expect(await port.lease([q], noWait(100))).toBeNull();
  }
  expect(await port.stats(q)).toMatchObject({ ready: 0, leased: 0, dead: before + messages.length });
}

export function workQueueDeadLettersContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: Parameters<typeof withFixture<WorkQueue>>[1]) =>
    it(title, { timeout: 60_000 }, () => withFixture(factory, body));

  describe(`${name}: WorkQueue dead letters for the reconciler, epoch`, () => {
    test('unprocessed dead letters come oldest first until marked processed; they stay listed', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 4 }, (_, i) =>
        queueMessage(q, { maxDeliveries: 1, priority: 4 - i }),
      );
      await makeDeadLetters(port, time, q, poison);
      const ids = poison.map((m) => m.id);
      expect((await port.unprocessedDeadLetters(q, 10)).map((d) => d.id)).toEqual(ids);
      expect((await port.unprocessedDeadLetters(q, 2)).map((d) => d.id)).toEqual(ids.slice(0, 2));
      expect((await port.unprocessedDeadLetters(q, 1))[0]).toEqual((await port.deadLetters(q, 1))[0]);
      expect(await port.markDeadLettersProcessed(q, [ids[0]!, ids[1]!, 'unknown-id'])).toBe(2);
      expect(await port.markDeadLettersProcessed(q, [ids[0]!])).toBe(0);
      expect(await port.markDeadLettersProcessed(q, [])).toBe(0);
      expect((await port.unprocessedDeadLetters(q, 10)).map((d) => d.id)).toEqual(ids.slice(2));
      expect((await port.deadLetters(q, 10)).map((d) => d.id)).toEqual(ids);
      expect(await port.removeDeadLetter(q, ids[2]!)).toBe(true);
      expect((await port.unprocessedDeadLetters(q, 10)).map((d) => d.id)).toEqual([ids[3]]);
      expect(await port.stats(q)).toMatchObject({ dead: 3 });
      expect(await port.unprocessedDeadLetters(randomName('empty'), 10)).toEqual([]);
      await expectDalstonError(port.unprocessedDeadLetters(q, 0), 'VALIDATION_FAILED', 'limit');
    });

    test('2,500 dead letters are read page by page, each exactly once', async ({ port, time }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 2500 }, () => queueMessage(q, { maxDeliveries: 1 }));
      await makeDeadLetters(port, time, q, poison);
      const seen: string[] = [];
      for (let page = 0; page < 10; page++) {
        const letters = await port.unprocessedDeadLetters(q, 1000);
        if (letters.length === 0) break;
        seen.push(...letters.map((d) => d.id));
        expect(
          await port.markDeadLettersProcessed(
            q,
            letters.map((d) => d.id),
          ),
        ).toBe(letters.length);
      }
      expect(seen).toHaveLength(2500);
      expect(new Set(seen)).toEqual(new Set(poison.map((m) => m.id)));
      expect(await port.stats(q)).toMatchObject({ dead: 2500 });
    });

    test('the epoch is a stable string while the store keeps its data', async ({ port }) => {
      const first = await port.epoch();
      expect(typeof first).toBe('string');
      expect(first.length).toBeGreaterThan(0);
      const q = randomName('q');
      await port.enqueue([queueMessage(q)]);
      expect(await port.epoch()).toBe(first);
    });
  });
}
