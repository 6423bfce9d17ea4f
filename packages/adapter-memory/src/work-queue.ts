/**
 * MemoryWorkQueue: the WorkQueue port in process. Each queue's entries live in heaps
 * (ready by priority then enqueue order, delayed by due time, leased by expiry; see
 * QueueState), so enqueue, lease, ack and release are O(log n). Waiting leases never
 * poll: they are woken on enqueue and release, and a single clock timer is armed for the
 * earliest delayed message or lease expiry of a queue someone waits on.
 * All timing goes through the injected clock, so ManualClock tests run instantly.
 * Arguments are trusted: core's port guard checked them (see docs/architecture.md).
 */
import { randomUUID } from 'node:crypto';
import {
  type AckAndLeaseResult,
  type AckRef,
  type Clock,
  DalstonError,
  type DeadLetter,
  type DeadLetterPage,
  type Lease,
  type LeaseOptions,
  type QueueMessage,
  type QueueStats,
  systemClock,
  type WorkQueue,
  type WorkQueueCapabilities,
} from '@dalston/core/adapter';
import { copyMessage, type QueueEntry, QueueState } from './work-queue-state.js';

export interface MemoryWorkQueueOptions {
  clock?: Clock;
}

interface Waiter {
  queues: string[];
  leaseMs: number;
  resolve: (lease: Lease | null) => void;
  cancelTimer: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

const copyDeadLetter = (d: DeadLetter): DeadLetter => ({
  ...d,
  message: d.message === null ? null : copyMessage(d.message),
});

export class MemoryWorkQueue implements WorkQueue {
  readonly capabilities: WorkQueueCapabilities = { blockingLease: true, ackAndLease: true };
  private readonly clock: Clock;
  private readonly queues = new Map<string, QueueState>();
  /** Insertion order = oldest waiter first. */
  private readonly waiters = new Set<Waiter>();
  /** How many waiters wait on each queue name (the queues whose timings matter to `rearm`). */
  private readonly waitedQueues = new Map<string, number>();
  private seq = 0;
  /** Tokens are this instance's random prefix and a counter: unique without a UUID per lease. */
  private readonly tokenPrefix = `${randomUUID()}:`;
  private tokens = 0;
  private closed = false;
  /** A memory queue never loses its data while the instance lives: one epoch per instance. */
  private readonly epochId = randomUUID();
  private wake: { at: number; cancel: () => void } | null = null;

  constructor(options: MemoryWorkQueueOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async enqueue(messages: QueueMessage[]): Promise<number> {
    this.assertOpen('enqueue');
    const now = this.clock.now();
    let added = 0;
    let q: QueueState | undefined; // batches are usually for one queue: look it up once
    for (const m of messages) {
      if (q?.name !== m.queue) q = this.queue(m.queue);
      if (q.entries.has(m.id) || q.dead.has(m.id)) continue;
      q.add(m, this.seq++, m.notBefore ?? now, now);
      added++;
    }
    if (added > 0) this.pump();
    return added;
  }

  async lease(queues: string[], options: LeaseOptions): Promise<Lease | null> {
    this.assertOpen('lease');
    const next = this.leaseOrWait(queues, options);
    return next instanceof Promise ? await next : next;
  }

  async extend(queue: string, messageId: string, token: string, leaseMs: number): Promise<number | null> {
    this.assertOpen('extend');
    const q = this.queues.get(queue);
    const entry = q?.held(messageId, token);
    if (!q || !entry) return null;
    q.extend(entry, this.clock.now() + leaseMs);
    this.rearm();
    return entry.expiresAt;
  }

  async ack(queue: string, messageId: string, token: string): Promise<boolean> {
    this.assertOpen('ack');
    return this.ackNow(queue, messageId, token);
  }

  async ackAndLease(done: AckRef, queues: string[], options: LeaseOptions): Promise<AckAndLeaseResult> {
    this.assertOpen('ackAndLease');
    const acked = this.ackNow(done.queue, done.messageId, done.token);
    const next = this.leaseOrWait(queues, options);
    return { acked, lease: next instanceof Promise ? await next : next }; // no extra tick when not waiting
  }

  async release(
    queue: string,
    messageId: string,
    token: string,
    options: { delayMs: number; countDelivery?: boolean },
  ): Promise<boolean> {
    this.assertOpen('release');
    const q = this.queues.get(queue);
    const entry = q?.held(messageId, token);
    if (!q || !entry) return false;
    const now = this.clock.now();
    q.release(entry, now + options.delayMs, now, options.countDelivery === true);
    this.pump();
    return true;
  }

  async remove(queue: string, messageId: string): Promise<boolean> {
    this.assertOpen('remove');
    const q = this.queues.get(queue);
    const entry = q?.entries.get(messageId);
    if (!q || !entry) return false;
    this.drop(q, entry);
    return true;
  }

  async deadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    this.assertOpen('deadLetters');
    const out: DeadLetter[] = [];
    for (const d of this.queues.get(queue)?.dead.values() ?? []) {
      if (out.length === limit) break;
      out.push(copyDeadLetter(d));
    }
    return out;
  }

  async deadLetterPage(queue: string, options: { after?: number; limit: number }): Promise<DeadLetterPage> {
    const page = this.queues.get(queue)?.deadPage(options.after ?? 0, options.limit);
    return page
      ? { letters: page.letters.map(copyDeadLetter), next: page.next }
      : { letters: [], next: null };
  }

  async unprocessedDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    this.assertOpen('unprocessedDeadLetters');
    const q = this.queues.get(queue);
    const out: DeadLetter[] = [];
    for (const id of q?.unprocessedDead ?? []) {
      if (out.length === limit) break;
      out.push(copyDeadLetter(q!.dead.get(id)!));
    }
    return out;
  }

  async markDeadLettersProcessed(queue: string, ids: string[]): Promise<number> {
    this.assertOpen('markDeadLettersProcessed');
    const q = this.queues.get(queue);
    let marked = 0;
    for (const id of ids) if (q?.unprocessedDead.delete(id)) marked++;
    return marked;
  }

  async epoch(): Promise<string> {
    this.assertOpen('epoch');
    return this.epochId;
  }

  async removeDeadLetter(queue: string, id: string): Promise<boolean> {
    this.assertOpen('removeDeadLetter');
    const q = this.queues.get(queue);
    if (!q?.removeDead(id)) return false;
    this.forgetIfEmpty(q);
    return true;
  }

  async queueNames(): Promise<string[]> {
    this.assertOpen('queueNames');
    return [...this.queues.values()]
      .filter((q) => !q.empty)
      .map((q) => q.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async stats(queue: string): Promise<QueueStats> {
    this.assertOpen('stats');
    const q = this.queues.get(queue);
    return q ? q.stats(this.clock.now()) : { ready: 0, delayed: 0, leased: 0, dead: 0 };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) this.finish(w, null);
    this.rearm();
  }

  /** Test helper: live messages + dead letters + queue records + pending waiters. 0 when nothing is left behind. */
  size(): number {
    let n = this.queues.size + this.waiters.size;
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
      q = new QueueState(name);
      this.queues.set(name, q);
    }
    return q;
  }

  private forgetIfEmpty(q: QueueState): void {
    if (q.empty) this.queues.delete(q.name);
  }

  private drop(q: QueueState, entry: QueueEntry): void {
    q.drop(entry);
    this.forgetIfEmpty(q);
  }

  private ackNow(queue: string, messageId: string, token: string): boolean {
    const q = this.queues.get(queue);
    const entry = q?.held(messageId, token);
    if (!q || !entry) return false;
    this.drop(q, entry);
    return true;
  }

  /** `lease` after its arguments were validated: now, or after waiting. */
  private leaseOrWait(queues: string[], options: LeaseOptions): Lease | null | Promise<Lease | null> {
    if (options.signal?.aborted) return null;
    const got = this.tryLease(queues, options.leaseMs);
    if (got !== null || options.waitMs === 0) return got;
    return this.wait(queues, options);
  }

  /** Leases the best message of the first queue that has one (dead-lettering what is over its limit). */
  private tryLease(queues: string[], leaseMs: number): Lease | null {
    const now = this.clock.now();
    for (const name of queues) {
      const entry = this.queues.get(name)?.take(now, now + leaseMs);
      if (!entry) continue;
      const token = `${this.tokenPrefix}${(this.tokens++).toString(36)}`;
      entry.token = token;
      if (this.waiters.size > 0) this.rearm(); // the new lease's expiry may be the earliest change
      return {
        message: copyMessage(entry),
        token,
        deliveries: entry.deliveries,
        expiresAt: entry.expiresAt,
      };
    }
    return null;
  }

  /** Waits for a message: woken by `pump`, ended by the wait timer, the signal or close. */
  private wait(queues: string[], options: LeaseOptions): Promise<Lease | null> {
    return new Promise<Lease | null>((resolve) => {
      const waiter: Waiter = {
        queues: [...queues],
        leaseMs: options.leaseMs,
        resolve,
        cancelTimer: () => {},
        signal: options.signal,
        onAbort: () => this.finishAndRearm(waiter),
      };
      this.waiters.add(waiter);
      for (const name of waiter.queues) this.waitedQueues.set(name, (this.waitedQueues.get(name) ?? 0) + 1);
      waiter.cancelTimer = this.clock.setTimer(() => this.finishAndRearm(waiter), options.waitMs);
      waiter.signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.rearm();
    });
  }

  /** Ends a wait with `lease` (no-op when it already ended). */
  private finish(waiter: Waiter, lease: Lease | null): void {
    if (!this.waiters.delete(waiter)) return;
    for (const name of waiter.queues) {
      const n = this.waitedQueues.get(name)! - 1;
      if (n === 0) this.waitedQueues.delete(name);
      else this.waitedQueues.set(name, n);
    }
    waiter.cancelTimer();
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(lease);
  }

  private finishAndRearm(waiter: Waiter): void {
    this.finish(waiter, null);
    this.rearm();
  }

  /** Hands leasable messages to waiters, oldest waiter first. */
  private pump(): void {
    for (const waiter of this.waiters) {
      const lease = this.tryLease(waiter.queues, waiter.leaseMs);
      if (lease) this.finish(waiter, lease);
    }
    this.rearm();
  }

  /**
   * Keeps one clock timer armed, while anyone waits, for the earliest delayed message or
   * lease expiry of a queue waited on. A timer armed earlier than needed is kept: it fires,
   * pumps for nothing and re-arms (cheaper than re-arming on every ack of the oldest lease).
   */
  private rearm(): void {
    if (this.waiters.size === 0 || this.closed) {
      this.wake?.cancel();
      this.wake = null;
      return;
    }
    let earliest = Number.POSITIVE_INFINITY;
    for (const name of this.waitedQueues.keys()) {
      const q = this.queues.get(name);
      if (q) earliest = Math.min(earliest, q.nextChange());
    }
    if (earliest === Number.POSITIVE_INFINITY || (this.wake && this.wake.at <= earliest)) return;
    this.wake?.cancel();
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
