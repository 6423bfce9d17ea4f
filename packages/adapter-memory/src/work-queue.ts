/**
 * MemoryWorkQueue: the WorkQueue port in process. Per queue: a ready list (priority
 * desc, then enqueue order), delayed messages (notBefore / release delay), leases and
 * dead letters. Waiting leases never poll: they are woken on enqueue and release, and a
 * single clock timer is armed for the earliest delayed message or lease expiry.
 * All timing goes through the injected clock, so ManualClock tests run instantly.
 */
import { randomUUID } from 'node:crypto';
import {
  type Clock,
  DalstonError,
  type DeadLetter,
  type Lease,
  type LeaseOptions,
  type QueueMessage,
  type QueueStats,
  systemClock,
  type WorkQueue,
  type WorkQueueCapabilities,
} from '@dalston/core';
import { validateLeaseRequest, validateQueueMessage } from './work-queue-validation.js';

export interface MemoryWorkQueueOptions {
  clock?: Clock;
}

interface Entry {
  message: QueueMessage;
  /** Enqueue sequence: FIFO within a priority. */
  seq: number;
  /** Counted deliveries so far (0 before the first lease). */
  deliveries: number;
  /** Delayed: leasable from this time. */
  availableAt: number;
  token: string | null;
  expiresAt: number;
}

interface QueueState {
  entries: Map<string, Entry>;
  /** Sorted: priority desc, seq asc. */
  ready: Entry[];
  delayed: Set<Entry>;
  leased: Map<string, Entry>;
  /** Insertion order = oldest first. */
  dead: Map<string, DeadLetter>;
}

interface Waiter {
  queues: string[];
  leaseMs: number;
  finish: (lease: Lease | null) => void;
}

const before = (a: Entry, b: Entry): boolean =>
  a.message.priority !== b.message.priority ? a.message.priority > b.message.priority : a.seq < b.seq;

const fail = (operation: string, field: string, message: string) =>
  new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store: 'workQueue', operation, field });

export class MemoryWorkQueue implements WorkQueue {
  readonly capabilities: WorkQueueCapabilities = { blockingLease: true, ackAndLease: false };
  private readonly clock: Clock;
  private readonly queues = new Map<string, QueueState>();
  private waiters: Waiter[] = [];
  private seq = 0;
  private closed = false;
  private wake: { at: number; cancel: () => void } | null = null;

  constructor(options: MemoryWorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async enqueue(messages: QueueMessage[]): Promise<number> {
    this.assertOpen('enqueue');
    if (!Array.isArray(messages)) throw fail('enqueue', 'messages', 'must be an array of queue messages');
    for (const [i, m] of messages.entries()) validateQueueMessage(m, `messages[${i}]`);
    const now = this.clock.now();
    let added = 0;
    for (const m of messages) {
      const q = this.queue(m.queue);
      if (q.entries.has(m.id) || q.dead.has(m.id)) continue;
      const entry: Entry = {
        message: { ...m },
        seq: this.seq++,
        deliveries: 0,
        availableAt: 0,
        token: null,
        expiresAt: 0,
      };
      q.entries.set(m.id, entry);
      this.schedule(q, entry, m.notBefore ?? now, now);
      added++;
    }
    if (added > 0) this.pump();
    return added;
  }

  async lease(queues: string[], options: LeaseOptions): Promise<Lease | null> {
    this.assertOpen('lease');
    validateLeaseRequest(queues, options);
    if (options.signal?.aborted) return null;
    const got = this.tryLease(queues, options.leaseMs);
    if (got || options.waitMs === 0) return got;
    return new Promise<Lease | null>((resolve) => {
      const signal = options.signal;
      let cancelTimeout = () => {};
      const onAbort = () => finish(null);
      const finish = (lease: Lease | null) => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        cancelTimeout();
        signal?.removeEventListener('abort', onAbort);
        this.rearm();
        resolve(lease);
      };
      const waiter: Waiter = { queues: [...queues], leaseMs: options.leaseMs, finish };
      this.waiters.push(waiter);
      cancelTimeout = this.clock.setTimer(() => finish(null), options.waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.rearm();
    });
  }

  async extend(queue: string, messageId: string, token: string, leaseMs: number): Promise<number | null> {
    if (!Number.isInteger(leaseMs) || leaseMs < 1) throw fail('extend', 'leaseMs', 'must be an integer >= 1');
    const entry = this.held(queue, messageId, token);
    if (!entry) return null;
    entry.expiresAt = this.clock.now() + leaseMs;
    this.rearm();
    return entry.expiresAt;
  }

  async ack(queue: string, messageId: string, token: string): Promise<boolean> {
    const entry = this.held(queue, messageId, token);
    if (!entry) return false;
    this.drop(queue, entry);
    return true;
  }

  async release(
    queue: string,
    messageId: string,
    token: string,
    options: { delayMs: number; countDelivery?: boolean },
  ): Promise<boolean> {
    if (!Number.isFinite(options?.delayMs) || options.delayMs < 0) {
      throw fail('release', 'options.delayMs', 'must be a number of milliseconds >= 0');
    }
    const entry = this.held(queue, messageId, token);
    if (!entry) return false;
    const q = this.queue(queue);
    q.leased.delete(messageId);
    entry.token = null;
    if (!options.countDelivery) entry.deliveries -= 1; // this delivery does not count
    const now = this.clock.now();
    this.schedule(q, entry, now + options.delayMs, now);
    this.pump();
    return true;
  }

  async remove(queue: string, messageId: string): Promise<boolean> {
    const entry = this.queues.get(queue)?.entries.get(messageId);
    if (!entry) return false;
    this.drop(queue, entry);
    return true;
  }

  async deadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw fail('deadLetters', 'limit', 'must be an integer from 1 to 1000');
    }
    const dead = this.queues.get(queue)?.dead;
    if (!dead) return [];
    return [...dead.values()].slice(0, limit).map((d) => structuredClone(d));
  }

  async removeDeadLetter(queue: string, id: string): Promise<boolean> {
    const q = this.queues.get(queue);
    const removed = q?.dead.delete(id) ?? false;
    this.forgetIfEmpty(queue);
    return removed;
  }

  async stats(queue: string): Promise<QueueStats> {
    const q = this.queues.get(queue);
    if (!q) return { ready: 0, delayed: 0, leased: 0, dead: 0 };
    const now = this.clock.now();
    let due = 0;
    for (const e of q.delayed) if (e.availableAt <= now) due++;
    return {
      ready: q.ready.length + due,
      delayed: q.delayed.size - due,
      leased: q.leased.size,
      dead: q.dead.size,
    };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) w.finish(null);
    this.wake?.cancel();
    this.wake = null;
  }

  /** Test helper: live messages + dead letters + queue records + pending waiters. 0 when nothing is left behind. */
  size(): number {
    let n = this.queues.size + this.waiters.length;
    for (const q of this.queues.values()) n += q.entries.size + q.dead.size;
    return n;
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new DalstonError('CLOSED', `workQueue.${operation}: the queue is closed`, {
        store: 'workQueue',
        operation,
      });
    }
  }

  private queue(name: string): QueueState {
    let q = this.queues.get(name);
    if (!q) {
      q = { entries: new Map(), ready: [], delayed: new Set(), leased: new Map(), dead: new Map() };
      this.queues.set(name, q);
    }
    return q;
  }

  private forgetIfEmpty(name: string): void {
    const q = this.queues.get(name);
    if (q && q.entries.size === 0 && q.dead.size === 0) this.queues.delete(name);
  }

  /** The entry when it is leased with this token (an expired lease still counts until reclaimed). */
  private held(queue: string, messageId: string, token: string): Entry | null {
    const entry = this.queues.get(queue)?.leased.get(messageId);
    return entry && entry.token === token ? entry : null;
  }

  /** Puts an entry in ready (available now) or delayed (available later). */
  private schedule(q: QueueState, entry: Entry, availableAt: number, now: number): void {
    if (availableAt > now) {
      entry.availableAt = availableAt;
      q.delayed.add(entry);
    } else {
      this.insertReady(q, entry);
    }
  }

  private insertReady(q: QueueState, entry: Entry): void {
    let lo = 0;
    let hi = q.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(q.ready[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    q.ready.splice(lo, 0, entry);
  }

  /** Removes an entry from every structure of its queue. */
  private drop(queue: string, entry: Entry): void {
    const q = this.queue(queue);
    const id = entry.message.id;
    q.entries.delete(id);
    q.leased.delete(id);
    q.delayed.delete(entry);
    const i = q.ready.indexOf(entry);
    if (i >= 0) q.ready.splice(i, 1);
    this.forgetIfEmpty(queue);
  }

  /** Reclaims expired leases (deliveries kept) and promotes delayed messages that are due. */
  private maintain(q: QueueState, now: number): void {
    for (const [id, entry] of q.leased) {
      if (entry.expiresAt > now) continue;
      q.leased.delete(id);
      entry.token = null;
      this.insertReady(q, entry);
    }
    for (const entry of q.delayed) {
      if (entry.availableAt > now) continue;
      q.delayed.delete(entry);
      this.insertReady(q, entry);
    }
  }

  /** Leases the best message of the first queue that has one, dead-lettering what is over its limit. */
  private tryLease(queues: string[], leaseMs: number): Lease | null {
    const now = this.clock.now();
    for (const name of queues) {
      const q = this.queues.get(name);
      if (!q) continue;
      this.maintain(q, now);
      for (let entry = q.ready.shift(); entry; entry = q.ready.shift()) {
        const { message } = entry;
        if (entry.deliveries + 1 > message.maxDeliveries) {
          // Written to the dead letters before it leaves the live queue.
          q.dead.set(message.id, {
            id: message.id,
            queue: name,
            message: { ...message },
            raw: null,
            reason: `max deliveries (${message.maxDeliveries}) exceeded`,
            deliveries: entry.deliveries,
            at: now,
          });
          q.entries.delete(message.id);
          continue;
        }
        entry.deliveries += 1;
        entry.token = randomUUID();
        entry.expiresAt = now + leaseMs;
        q.leased.set(message.id, entry);
        this.rearm();
        return {
          message: { ...message },
          token: entry.token,
          deliveries: entry.deliveries,
          expiresAt: entry.expiresAt,
        };
      }
    }
    return null;
  }

  /** Hands leasable messages to waiters, oldest waiter first. */
  private pump(): void {
    for (const waiter of [...this.waiters]) {
      if (!this.waiters.includes(waiter)) continue;
      const lease = this.tryLease(waiter.queues, waiter.leaseMs);
      if (lease) waiter.finish(lease);
    }
    this.rearm();
  }

  /** Arms one clock timer for the earliest delayed message or lease expiry a waiter could use. */
  private rearm(): void {
    let earliest = Number.POSITIVE_INFINITY;
    if (!this.closed && this.waiters.length > 0) {
      const names = new Set(this.waiters.flatMap((w) => w.queues));
      for (const name of names) {
        const q = this.queues.get(name);
        if (!q) continue;
        for (const e of q.delayed) earliest = Math.min(earliest, e.availableAt);
        for (const e of q.leased.values()) earliest = Math.min(earliest, e.expiresAt);
      }
    }
    if (this.wake && this.wake.at === earliest) return;
    this.wake?.cancel();
    this.wake = null;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const cancel = this.clock.setTimer(
      () => {
        this.wake = null;
        this.pump();
      },
      Math.max(0, earliest - this.clock.now()),
    );
    this.wake = { at: earliest, cancel };
  }
}
