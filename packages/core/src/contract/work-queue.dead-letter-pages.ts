/**
 * WorkQueue contract, what operators page through: `deadLetterPage` returns a queue's dead
 * letters oldest first after a position (keyset paging), so removing letters while paging
 * neither skips nor repeats the others, and letters dead-lettered meanwhile come last.
 */
import { describe, expect, it } from 'vitest';
import type { WorkQueue } from '../ports/work-queue.js';
import type { PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { makeDeadLetters } from './work-queue.dead-letters.js';
import { queueMessage } from './work-queue.messages.js';

export function workQueueDeadLetterPagesContract(name: string, factory: PortFactory<WorkQueue>): void {
  const test = (title: string, body: Parameters<typeof withFixture<WorkQueue>>[1]) =>
    it(title, { timeout: 60_000 }, () => withFixture(factory, body));

  describe(`${name}: WorkQueue dead-letter pages`, () => {
    test('pages come oldest first with increasing positions; the last page says so', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 5 }, (_, i) =>
        queueMessage(q, { maxDeliveries: 1, priority: 5 - i }),
      );
      await makeDeadLetters(port, time, q, poison);
      const first = await port.deadLetterPage(q, { limit: 2 });
      expect(first.letters.map((d) => d.id)).toEqual([poison[0]!.id, poison[1]!.id]);
      expect(first.letters[0]).toEqual((await port.deadLetters(q, 1))[0]);
      expect(Number.isSafeInteger(first.next)).toBe(true);
      const second = await port.deadLetterPage(q, { after: first.next!, limit: 2 });
      expect(second.letters.map((d) => d.id)).toEqual([poison[2]!.id, poison[3]!.id]);
      expect(second.next!).toBeGreaterThan(first.next!);
      const last = await port.deadLetterPage(q, { after: second.next!, limit: 2 });
      expect(last).toEqual({ letters: [expect.objectContaining({ id: poison[4]!.id })], next: null });
      expect(await port.deadLetterPage(q, { limit: 5 })).toMatchObject({ next: expect.any(Number) });
      expect((await port.deadLetterPage(q, { limit: 6 })).next).toBeNull();
      expect(await port.deadLetterPage(randomName('empty'), { limit: 10 })).toEqual({
        letters: [],
        next: null,
      });
    });

    test('removing letters while paging skips none of the others; new letters come last', async ({
      port,
      time,
    }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 6 }, (_, i) =>
        queueMessage(q, { maxDeliveries: 1, priority: 6 - i }),
      );
      await makeDeadLetters(port, time, q, poison.slice(0, 5));
      const first = await port.deadLetterPage(q, { limit: 2 });
      // The page's last letter (the cursor's own) and the next one go away before the next page.
      expect(await port.removeDeadLetter(q, poison[1]!.id)).toBe(true);
      expect(await port.removeDeadLetter(q, poison[2]!.id)).toBe(true);
      await makeDeadLetters(port, time, q, [poison[5]!]);
      const rest = await port.deadLetterPage(q, { after: first.next!, limit: 10 });
      expect(rest.letters.map((d) => d.id)).toEqual([poison[3]!.id, poison[4]!.id, poison[5]!.id]);
      expect(rest.next).toBeNull();
      expect((await port.deadLetterPage(q, { limit: 10 })).letters.map((d) => d.id)).toEqual([
        poison[0]!.id,
        poison[3]!.id,
        poison[4]!.id,
        poison[5]!.id,
      ]);
      expect(await port.stats(q)).toMatchObject({ dead: 4 });
    });

    test('1,200 letters are read page by page, each exactly once', async ({ port, time }) => {
      const q = randomName('q');
      const poison = Array.from({ length: 1200 }, () => queueMessage(q, { maxDeliveries: 1 }));
      await makeDeadLetters(port, time, q, poison);
      const seen: string[] = [];
      let after: number | undefined;
      for (let page = 0; page < 20; page++) {
        const p = await port.deadLetterPage(q, { ...(after === undefined ? {} : { after }), limit: 500 });
        seen.push(...p.letters.map((d) => d.id));
        if (p.next === null) break;
        after = p.next;
      }
      expect(seen).toHaveLength(1200);
      expect(new Set(seen)).toEqual(new Set(poison.map((m) => m.id)));
    });
  });
}
