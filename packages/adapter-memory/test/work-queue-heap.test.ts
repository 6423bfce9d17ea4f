import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../src/indexed-heap.js';

interface Item {
  key: number;
  seq: number;
  heapIndex: number;
}

const before = (a: Item, b: Item): boolean => (a.key !== b.key ? a.key < b.key : a.seq < b.seq);
const byOrder = (a: Item, b: Item): number => a.key - b.key || a.seq - b.seq;

/** Every parent comes before its children and every item knows its own position. */
function checkInvariant(heap: IndexedHeap<Item>): void {
  const items = heap.values();
  items.forEach((item, i) => {
    expect(item.heapIndex).toBe(i);
    if (i > 0) expect(before(item, items[(i - 1) >> 1]!)).toBe(false);
  });
}

type Op =
  | { kind: 'push'; key: number }
  | { kind: 'pop' }
  | { kind: 'remove'; pick: number }
  | { kind: 'rekey'; pick: number; key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), key: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ kind: fc.constant('pop' as const) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rekey' as const), pick: fc.nat(), key: fc.integer({ min: -5, max: 5 }) }),
);

describe('IndexedHeap', () => {
  it('pops in order under random pushes, pops, removals and re-keys (against a sorted list)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new IndexedHeap<Item>(before);
        let model: Item[] = [];
        let seq = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = { key: o.key, seq: seq++, heapIndex: -1 };
            heap.push(item);
            model.push(item);
          } else if (o.kind === 'pop') {
            model.sort(byOrder);
            const expected = model.shift();
            expect(heap.pop()).toBe(expected);
            if (expected) expect(expected.heapIndex).toBe(-1);
          } else if (model.length > 0) {
            const item = model[o.pick % model.length]!;
            if (o.kind === 'remove') {
              expect(heap.remove(item)).toBe(true);
              expect(heap.remove(item)).toBe(false); // no longer held
              model = model.filter((m) => m !== item);
            } else {
              item.key = o.key;
              heap.update(item);
            }
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe([...model].sort(byOrder)[0]);
          checkInvariant(heap);
        }
        const drained: Item[] = [];
        for (let item = heap.pop(); item; item = heap.pop()) drained.push(item);
        expect(drained).toEqual(model.sort(byOrder));
      }),
      { numRuns: 300 },
    );
  });

  it('equal keys come out first in, first out (seq breaks ties)', () => {
    const heap = new IndexedHeap<Item>(before);
    const items = Array.from({ length: 1000 }, (_, seq) => ({ key: seq % 3, seq, heapIndex: -1 }));
    for (const item of [...items].reverse()) heap.push(item);
    const out: Item[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) out.push(item);
    expect(out).toEqual([...items].sort(byOrder));
  });

  it('an item held by another heap is neither removed nor re-keyed', () => {
    const [a, b] = [new IndexedHeap<Item>(before), new IndexedHeap<Item>(before)];
    const x = { key: 1, seq: 0, heapIndex: -1 };
    const y = { key: 2, seq: 1, heapIndex: -1 };
    a.push(x);
    b.push(y);
    expect(a.remove(y)).toBe(false);
    expect(a.has(y)).toBe(false);
    a.update(y);
    expect([a.size, b.size, a.peek(), b.peek()]).toEqual([1, 1, x, y]);
  });
});
