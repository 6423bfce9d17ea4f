/**
 * QueueControlStore: the durable pause switch of each queue, kept by the JobStore (the
 * source of truth, PostgreSQL in production) so a pause survives a queue-store wipe and
 * every engine restart. `JobStore` extends it; the methods live in their own file so the
 * port stays readable.
 *
 * Deliberately left out: how workers learn of a pause (core polls `queueControls()`, see
 * QueuePauses) and the queue's contents (WorkQueue's). Queue names are validated by core.
 *
 * Errors: STORE_UNAVAILABLE (`store: 'jobStore'`, the method as `operation`); CLOSED after
 * `close()`. Times are epoch milliseconds.
 */

/** The pause switch of one queue. */
export interface QueueControl {
  queue: string;
  paused: boolean;
  /** Epoch ms of the last change of `paused` (the first write when it never changed). */
  changedAt: number;
}

export interface QueueControlStore {
  /**
   * Sets the queue's pause switch. Idempotent: setting the value it already has changes
   * nothing (`changedAt` stays). Returns the switch as stored after the call.
   */
  setQueuePaused(queue: string, paused: boolean, at: number): Promise<QueueControl>;

  /**
   * Every queue that has a switch (paused or not), ordered by name (byte order). Read-only
   * and cheap: workers of every engine poll it. A queue never paused has no switch.
   */
  queueControls(): Promise<QueueControl[]>;
}
