/**
 * The state of one in-memory queue: every live entry by id, in exactly one of three heaps
 * (ready: priority desc then enqueue order; delayed: by the time it becomes leasable;
 * leased: by lease expiry), and the dead letters. Every operation is O(log n) or better,
 * except where it says otherwise. Entries held here are never handed out: MemoryWorkQueue
 * returns copies of their message fields.
 */
import type { DeadLetter, QueueMessage, QueueStats } from '@dalston/core/adapter';
import { type HeapItem, IndexedHeap } from './indexed-heap.js';

export type EntryState = 'ready' | 'delayed' | 'leased';

/** A live message: the queue's own copy of its fields, plus where it is in the queue. */
export interface QueueEntry extends Readonly<QueueMessage>, HeapItem {
  /** Enqueue sequence: FIFO within a priority. */
  readonly seq: number;
  state: EntryState;
  /** Counted deliveries so far (0 before the first lease). */
  deliveries: number;
  /** Delayed: leasable from this time (epoch ms). */
  availableAt: number;
  /** Leased: the lease token, else null. */
  token: string | null;
  /** Leased: when the lease expires (epoch ms). */
  expiresAt: number;
}

/** A copy of a message with exactly the port's fields (callers cannot reach the queue's copy). */
export function copyMessage(m: Readonly<QueueMessage>): QueueMessage {
  return {
    id: m.id,
    queue: m.queue,
    taskId: m.taskId,
    jobId: m.jobId,
    tenantId: m.tenantId,
    attempt: m.attempt,
    priority: m.priority,
    notBefore: m.notBefore,
    maxDeliveries: m.maxDeliveries,
  };
}

const readyOrder = (a: QueueEntry, b: QueueEntry): boolean =>
  a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
const delayedOrder = (a: QueueEntry, b: QueueEntry): boolean =>
  a.availableAt !== b.availableAt ? a.availableAt < b.availableAt : a.seq < b.seq;
const leasedOrder = (a: QueueEntry, b: QueueEntry): boolean =>
  a.expiresAt !== b.expiresAt ? a.expiresAt < b.expiresAt : a.seq < b.seq;

export class QueueState {
  readonly entries = new Map<string, QueueEntry>();
  /** Insertion order = oldest first. */
  readonly dead = new Map<string, DeadLetter>();
  /** Ids of dead letters not yet marked processed, oldest first. */
  readonly unprocessedDead = new Set<string>();
  /** Each dead letter's paging position (increasing in `dead` order, see `deadLetterPage`). */
  private readonly deadPositions = new Map<string, number>();
  private lastDeadPosition = 0;
  private readonly ready = new IndexedHeap<QueueEntry>(readyOrder);
  private readonly delayed = new IndexedHeap<QueueEntry>(delayedOrder);
  private readonly leased = new IndexedHeap<QueueEntry>(leasedOrder);

  constructor(readonly name: string) {}

  /**
   * Records a dead letter (moved to the end when its id was dead already) and marks it
   * unprocessed. Its position is `now * 1000`, or one more than the last one when that is
   * not smaller (the Redis adapter numbers its letters the same way).
   */
  putDead(letter: DeadLetter, now: number): void {
    this.dead.delete(letter.id);
    this.dead.set(letter.id, letter);
    this.lastDeadPosition = Math.max(now * 1000, this.lastDeadPosition + 1);
    this.deadPositions.set(letter.id, this.lastDeadPosition);
    this.unprocessedDead.delete(letter.id);
    this.unprocessedDead.add(letter.id);
  }

  /** Forgets a dead letter. Returns whether it was there. */
  removeDead(id: string): boolean {
    this.unprocessedDead.delete(id);
    this.deadPositions.delete(id);
    return this.dead.delete(id);
  }

  /** Up to `limit` dead letters after position `after`, oldest first, with the next position. */
  deadPage(after: number, limit: number): { letters: DeadLetter[]; next: number | null } {
    const letters: DeadLetter[] = [];
    let last = after;
    for (const [id, letter] of this.dead) {
      const position = this.deadPositions.get(id)!;
      if (position <= after) continue;
      letters.push(letter);
      last = position;
      if (letters.length === limit) return { letters, next: last };
    }
    return { letters, next: null };
  }

  /** True when nothing (live or dead) is left: the queue record can be forgotten. */
  get empty(): boolean {
    return this.entries.size === 0 && this.dead.size === 0;
  }

  /** Adds a new entry (a copy of `message`'s fields), leasable from `availableAt`. */
  add(m: QueueMessage, seq: number, availableAt: number, now: number): void {
    const entry: QueueEntry = {
      id: m.id,
      queue: m.queue,
      taskId: m.taskId,
      jobId: m.jobId,
      tenantId: m.tenantId,
      attempt: m.attempt,
      priority: m.priority,
      notBefore: m.notBefore,
      maxDeliveries: m.maxDeliveries,
      seq,
      state: 'ready',
      deliveries: 0,
      // Epoch ms from the start (not 0): the fields never change representation (no deopt).
      availableAt: now,
      token: null,
      expiresAt: now,
      heapIndex: -1,
    };
    this.entries.set(entry.id, entry);
    this.schedule(entry, availableAt, now);
  }

  /** The entry when it is leased with this token (an expired lease still counts until reclaimed). */
  held(messageId: string, token: string): QueueEntry | null {
    const entry = this.entries.get(messageId);
    return entry !== undefined && entry.state === 'leased' && entry.token === token ? entry : null;
  }

  /** Removes an entry from the queue, whatever its state. */
  drop(entry: QueueEntry): void {
    this.heapOf(entry).remove(entry);
    this.entries.delete(entry.id);
  }

  /** Moves the lease's expiry. */
  extend(entry: QueueEntry, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    this.leased.update(entry);
  }

  /** Hands a leased entry back, leasable from `availableAt`; the delivery is uncounted unless `countDelivery`. */
  release(entry: QueueEntry, availableAt: number, now: number, countDelivery: boolean): void {
    this.leased.remove(entry);
    entry.token = null;
    if (!countDelivery) entry.deliveries -= 1;
    this.schedule(entry, availableAt, now);
  }

  /**
   * Leases the best leasable entry until `expiresAt` (the caller sets its token), or returns null. Expired
   * leases are reclaimed and due delayed entries promoted first; entries past their
   * `maxDeliveries` are dead-lettered (written there before they leave the live queue).
   */
  take(now: number, expiresAt: number): QueueEntry | null {
    this.reclaim(now);
    for (let entry = this.ready.pop(); entry !== undefined; entry = this.ready.pop()) {
      if (entry.deliveries + 1 > entry.maxDeliveries) {
        this.putDead(
          {
            id: entry.id,
            queue: this.name,
            message: copyMessage(entry),
            raw: null,
            reason: `max deliveries (${entry.maxDeliveries}) exceeded`,
            deliveries: entry.deliveries,
            at: now,
          },
          now,
        );
        this.entries.delete(entry.id);
        continue;
      }
      entry.deliveries += 1;
      entry.state = 'leased';
      entry.expiresAt = expiresAt;
      this.leased.push(entry);
      return entry;
    }
    return null;
  }

  /** The earliest time a delayed entry becomes due or a lease expires (Infinity when none). */
  nextChange(): number {
    const d = this.delayed.peek();
    const l = this.leased.peek();
    return Math.min(d === undefined ? Infinity : d.availableAt, l === undefined ? Infinity : l.expiresAt);
  }

  /** Exact counts at `now` (O(delayed): due delayed entries count as ready). */
  stats(now: number): QueueStats {
    let due = 0;
    for (const e of this.delayed.values()) if (e.availableAt <= now) due++;
    return {
      ready: this.ready.size + due,
      delayed: this.delayed.size - due,
      leased: this.leased.size,
      dead: this.dead.size,
    };
  }

  /** Reclaims expired leases (deliveries kept) and promotes delayed entries that are due. */
  private reclaim(now: number): void {
    for (let e = this.leased.peek(); e !== undefined && e.expiresAt <= now; e = this.leased.peek()) {
      this.leased.pop();
      e.token = null;
      e.state = 'ready';
      this.ready.push(e);
    }
    for (let e = this.delayed.peek(); e !== undefined && e.availableAt <= now; e = this.delayed.peek()) {
      this.delayed.pop();
      e.state = 'ready';
      this.ready.push(e);
    }
  }

  /** Puts an entry in ready (available now) or delayed (available later). */
  private schedule(entry: QueueEntry, availableAt: number, now: number): void {
    if (availableAt > now) {
      entry.state = 'delayed';
      entry.availableAt = availableAt;
      this.delayed.push(entry);
    } else {
      entry.state = 'ready';
      this.ready.push(entry);
    }
  }

  private heapOf(entry: QueueEntry): IndexedHeap<QueueEntry> {
    return entry.state === 'ready' ? this.ready : entry.state === 'delayed' ? this.delayed : this.leased;
  }
}
