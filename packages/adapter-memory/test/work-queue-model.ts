/**
 * A naive reference model of the WorkQueue port (arrays, sorting and linear scans) for the
 * model-based test of MemoryWorkQueue: same observable results for the same operations.
 */
import type { DeadLetter, QueueMessage, QueueStats } from '@dalston/core/adapter';

interface ModelEntry {
  message: QueueMessage;
  seq: number;
  deliveries: number;
  availableAt: number;
  token: string | null;
  expiresAt: number;
}

export class WorkQueueModel {
  private entries: ModelEntry[] = [];
  readonly dead: DeadLetter[] = [];
  private seq = 0;

  enqueue(messages: QueueMessage[], now: number): number {
    let added = 0;
    for (const m of messages) {
      if (this.find(m.queue, m.id) || this.dead.some((d) => d.queue === m.queue && d.id === m.id)) continue;
      const at = m.notBefore ?? now;
      this.entries.push({
        message: { ...m },
        seq: this.seq++,
        deliveries: 0,
        availableAt: at,
        token: null,
        expiresAt: 0,
      });
      added++;
    }
    return added;
  }

  /** The leased entry (its token is the real queue's, set by the caller), or null. */
  lease(queues: string[], leaseMs: number, now: number): ModelEntry | null {
    for (const queue of queues) {
      for (const e of this.entries) {
        if (e.message.queue === queue && e.token !== null && e.expiresAt <= now) {
          e.token = null; // reclaimed: leasable again, deliveries kept
          e.availableAt = now;
        }
      }
      const ready = this.entries
        .filter((e) => e.message.queue === queue && e.token === null && e.availableAt <= now)
        .sort((a, b) => b.message.priority - a.message.priority || a.seq - b.seq);
      for (const e of ready) {
        this.entries = this.entries.filter((x) => x !== e);
        if (e.deliveries + 1 > e.message.maxDeliveries) {
          this.dead.push({
            id: e.message.id,
            queue,
            message: { ...e.message },
            raw: null,
            reason: `max deliveries (${e.message.maxDeliveries}) exceeded`,
            deliveries: e.deliveries,
            at: now,
          });
          continue;
        }
        this.entries.push(e);
        e.deliveries += 1;
        e.token = 'pending';
        e.expiresAt = now + leaseMs;
        return e;
      }
    }
    return null;
  }

  held(queue: string, id: string, token: string): ModelEntry | undefined {
    const e = this.find(queue, id);
    return e && e.token === token ? e : undefined;
  }

  ack(queue: string, id: string, token: string): boolean {
    const e = this.held(queue, id, token);
    if (e) this.entries = this.entries.filter((x) => x !== e);
    return e !== undefined;
  }

  release(queue: string, id: string, token: string, delayMs: number, count: boolean, now: number): boolean {
    const e = this.held(queue, id, token);
    if (!e) return false;
    e.token = null;
    if (!count) e.deliveries -= 1;
    e.availableAt = now + delayMs;
    return true;
  }

  extend(queue: string, id: string, token: string, leaseMs: number, now: number): number | null {
    const e = this.held(queue, id, token);
    if (!e) return null;
    e.expiresAt = now + leaseMs;
    return e.expiresAt;
  }

  remove(queue: string, id: string): boolean {
    const e = this.find(queue, id);
    if (e) this.entries = this.entries.filter((x) => x !== e);
    return e !== undefined;
  }

  stats(queue: string, now: number): QueueStats {
    const mine = this.entries.filter((e) => e.message.queue === queue);
    const waiting = mine.filter((e) => e.token === null);
    return {
      ready: waiting.filter((e) => e.availableAt <= now).length,
      delayed: waiting.filter((e) => e.availableAt > now).length,
      leased: mine.length - waiting.length,
      dead: this.dead.filter((d) => d.queue === queue).length,
    };
  }

  private find(queue: string, id: string): ModelEntry | undefined {
    return this.entries.find((e) => e.message.queue === queue && e.message.id === id);
  }
}
