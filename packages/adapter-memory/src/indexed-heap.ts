/**
 * IndexedHeap: a binary heap ordered by a `before` relation, whose items carry their own
 * position (`heapIndex`, -1 when in no heap). Push, pop, removal of any item and re-keying
 * after an item's key changed are O(log n); peek and size are O(1). An item belongs to at
 * most one IndexedHeap at a time (its one `heapIndex` says where it is).
 */

export interface HeapItem {
  /** Position in the heap that holds the item, -1 when none does. Owned by the heap. */
  heapIndex: number;
}

export class IndexedHeap<T extends HeapItem> {
  private readonly items: T[] = [];

  /** `before(a, b)` is true when `a` must come out before `b` (a strict order). */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The first item, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** True when this heap holds `item`. */
  has(item: T): boolean {
    return item.heapIndex >= 0 && this.items[item.heapIndex] === item;
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Removes and returns the first item, or undefined when empty. */
  pop(): T | undefined {
    const first = this.items[0];
    if (first !== undefined) this.removeAt(0);
    return first;
  }

  /** Removes `item`. Returns false when this heap does not hold it. */
  remove(item: T): boolean {
    if (!this.has(item)) return false;
    this.removeAt(item.heapIndex);
    return true;
  }

  /** Restores the order after `item`'s key changed (no-op when this heap does not hold it). */
  update(item: T): void {
    if (!this.has(item)) return;
    this.down(this.up(item.heapIndex));
  }

  /** Every item, in no particular order (a live view: do not keep it across changes). */
  values(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): void {
    const items = this.items;
    const removed = items[i]!;
    const last = items.pop()!;
    removed.heapIndex = -1;
    if (last === removed) return;
    items[i] = last;
    last.heapIndex = i;
    this.down(this.up(i));
  }

  /** Moves the item at `i` towards the root while it comes before its parent; returns where it ends. */
  private up(i: number): number {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (!this.before(item, parent)) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
    return i;
  }

  /** Moves the item at `i` towards the leaves while a child comes before it. */
  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.before(items[r]!, items[l]!)) c = r;
      const child = items[c]!;
      if (!this.before(child, item)) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
