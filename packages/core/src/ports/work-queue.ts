/**
 * WorkQueue: reliable delivery of "run task T" messages to workers (Redis in
 * production). At-least-once: a message leased by a worker that dies comes back after
 * its lease expires, with its delivery count raised; past `maxDeliveries` it moves to a
 * dead-letter list (written there before it leaves the live queue). Exactly-once effect
 * is core's job (compare-and-set in the JobStore), not the queue's.
 *
 * Deliberately left out: task state, retries with backoff (core re-enqueues with
 * `notBefore`), job semantics. The queue owns nothing durable: after a wipe, the
 * reconciler re-enqueues from the JobStore.
 *
 * Errors: every method rejects with a DalstonError; infrastructure failures are
 * `STORE_UNAVAILABLE` (`store: 'workQueue'`). Durations are milliseconds (relative);
 * `notBefore`, `expiresAt` and `at` are epoch milliseconds.
 */
import type { QueueMessage } from '../domain/queue-message.js';
import type { PortLifecycle } from './lifecycle.js';

export type { QueueMessage } from '../domain/queue-message.js';

/** A leased message. `token` fences extend/ack/release against a later holder. */
export interface Lease {
  message: QueueMessage;
  token: string;
  /** How many times this message has been leased, this time included (1 on the first lease). */
  deliveries: number;
  /** Epoch ms at which the lease expires unless extended. */
  expiresAt: number;
}

export interface DeadLetter {
  /** Message id, or a generated id when the entry could not be parsed. */
  id: string;
  queue: string;
  /** The message, or null when what was queued could not be parsed. */
  message: QueueMessage | null;
  /** The raw entry when it could not be parsed (truncated to 4 KiB), else null. */
  raw: string | null;
  /** Why it was dead-lettered, e.g. `max deliveries (5) exceeded`, `unparseable entry`. */
  reason: string;
  deliveries: number;
  at: number;
}

/** One page of a queue's dead letters (see `WorkQueue.deadLetterPage`). */
export interface DeadLetterPage {
  /** Oldest first. */
  letters: DeadLetter[];
  /**
   * The position after the last letter of this page, to pass as `after` for the next one;
   * null when this page reached the end (fewer letters than `limit`).
   */
  next: number | null;
}

/** Exact counts for one queue. */
export interface QueueStats {
  /** Leasable now. */
  ready: number;
  /** Waiting for their notBefore or a release delay. */
  delayed: number;
  /** Currently leased (including expired leases not yet reclaimed). */
  leased: number;
  dead: number;
}

export interface LeaseOptions {
  /** Lease duration, ms (>= 1). */
  leaseMs: number;
  /** Longest wait for a message, ms (0 = do not wait). Waiting must not busy-poll. */
  waitMs: number;
  /** Aborting resolves the wait with null. */
  signal?: AbortSignal;
}

export interface WorkQueueCapabilities {
  /** True when a waiting lease wakes on enqueue (no polling interval). */
  blockingLease: boolean;
  /**
   * True when `ackAndLease` is implemented: the ack of a finished message and the next
   * lease in one step (one round trip on a networked store). Workers use it when declared
   * and fall back to `ack` then `lease` otherwise.
   */
  ackAndLease: boolean;
}

/** A held message to ack: the queue, the message id and the lease token. */
export interface AckRef {
  queue: string;
  messageId: string;
  token: string;
}

export interface AckAndLeaseResult {
  /** What `ack` would have returned: false when the message was not held with this token. */
  acked: boolean;
  /** What `lease` would have returned. */
  lease: Lease | null;
}

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface WorkQueue extends PortLifecycle {
  readonly capabilities: WorkQueueCapabilities;

  /**
   * Adds messages. A message whose id is already ready, delayed, leased or dead in its
   * queue is skipped (idempotent per task attempt). Returns how many were added.
   * Rejects with VALIDATION_FAILED for a malformed message (nothing added).
   */
  enqueue(messages: QueueMessage[]): Promise<number>;

  /**
   * Leases the best message (highest priority, oldest) from the first of `queues`
   * that has one, waiting up to `waitMs`. Expired leases are reclaimed first (their
   * messages become leasable with the delivery count kept). A message that would exceed
   * its `maxDeliveries`, or cannot be parsed, is dead-lettered instead of returned.
   * Resolves null when nothing arrived in time or the signal aborted.
   */
  lease(queues: string[], options: LeaseOptions): Promise<Lease | null>;

  /** Pushes the lease's expiry to now + leaseMs. Returns the new expiresAt, or null when the lease is no longer held with this token. */
  extend(queue: string, messageId: string, token: string, leaseMs: number): Promise<number | null>;

  /** Removes a leased message for good. Returns false when not held with this token. Idempotent. */
  ack(queue: string, messageId: string, token: string): Promise<boolean>;

  /**
   * Only when `capabilities.ackAndLease`: `ack(done)` and then `lease(queues, options)`,
   * with exactly their semantics, in as few round trips as the store allows. The lease
   * arguments are validated first: VALIDATION_FAILED acks nothing. The ack is not undone
   * when nothing is leased. On STORE_UNAVAILABLE the ack may or may not have happened
   * (as with a failed `ack`: the message is then redelivered and found stale).
   */
  ackAndLease?(done: AckRef, queues: string[], options: LeaseOptions): Promise<AckAndLeaseResult>;

  /**
   * Hands a leased message back, leasable again after `delayMs`. The delivery is not
   * counted unless `countDelivery` is true. Returns false when not held with this token.
   */
  release(
    queue: string,
    messageId: string,
    token: string,
    options: { delayMs: number; countDelivery?: boolean },
  ): Promise<boolean>;

  /** Removes a ready, delayed or leased message by id. Returns whether it was there. Idempotent. */
  remove(queue: string, messageId: string): Promise<boolean>;

  /** Dead letters of a queue, oldest first. */
  deadLetters(queue: string, limit: number): Promise<DeadLetter[]>;

  /**
   * A page of the queue's dead letters, oldest first, after the position `after` (a `next`
   * of an earlier page; omitted: from the oldest). `limit` 1..1000. Keyset paging: a letter
   * kept throughout a listing is returned exactly once however many letters are removed
   * meanwhile; letters dead-lettered during the listing come after every earlier one.
   * Positions are non-negative safe integers, increasing with the time of dead-lettering.
   * A queue without dead letters gives `{ letters: [], next: null }`. Read-only.
   */
  deadLetterPage(queue: string, options: { after?: number; limit: number }): Promise<DeadLetterPage>;

  /**
   * Dead letters of a queue not yet marked processed, oldest first. `limit` 1..1000. The
   * reconciler reads these, fails their tasks, then marks them processed, so each is read
   * once however many letters the queue keeps.
   */
  unprocessedDeadLetters(queue: string, limit: number): Promise<DeadLetter[]>;

  /**
   * Marks dead letters processed: they stay in `deadLetters` (for operators) and leave
   * `unprocessedDeadLetters`. Unknown or already processed ids are ignored. Idempotent.
   * Returns how many were marked now. A dead letter that is removed goes from both lists.
   */
  markDeadLettersProcessed(queue: string, ids: string[]): Promise<number>;

  /**
   * An opaque marker of the queue store's generation: the same string while the store
   * keeps its data, a different one once its data was or may have been lost (FLUSHALL, a
   * restart without persistence, a failover: writes the old primary acknowledged after the
   * promotion are lost). Created on first call. The reconciler
   * compares it between passes to know when every ready task must be re-enqueued.
   */
  epoch(): Promise<string>;

  /** Deletes one dead letter. Returns whether it was there. */
  removeDeadLetter(queue: string, id: string): Promise<boolean>;

  /** Exact counts for the queue. */
  stats(queue: string): Promise<QueueStats>;

  /**
   * Names of the queues that hold at least one ready, delayed or leased message or dead
   * letter, in byte order. Read-only. May walk the store's keys (Redis SCAN): an operator's
   * call (`queues.stats()`), not for hot paths.
   */
  queueNames(): Promise<string[]>;

  /** Reachability probe; rejects with STORE_UNAVAILABLE when down. */
  ping(): Promise<void>;

  /** Ends pending waits (they resolve null) and releases what the queue opened. Idempotent. */
  close(): Promise<void>;
}
