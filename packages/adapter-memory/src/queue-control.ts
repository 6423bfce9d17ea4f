/**
 * The memory JobStore's queue pause switches (QueueControlStore): one record per queue
 * ever paused, like the PostgreSQL adapter's `queue_control` table. Synchronous; the
 * store adds its closed check.
 */
import type { QueueControl } from '@dalston/core/adapter';
import { compareText } from './text-order.js';

export class QueueControlTable {
  private readonly rows = new Map<string, QueueControl>();

  set(queue: string, paused: boolean, at: number): QueueControl {
    const row = this.rows.get(queue);
    if (!row || row.paused !== paused) this.rows.set(queue, { queue, paused, changedAt: at });
    return { ...this.rows.get(queue)! };
  }

  list(): QueueControl[] {
    return [...this.rows.values()].sort((a, b) => compareText(a.queue, b.queue)).map((r) => ({ ...r }));
  }
}
