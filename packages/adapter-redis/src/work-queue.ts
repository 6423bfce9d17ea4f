/**
 * RedisWorkQueue: the WorkQueue port on Redis. Every operation on a queue is one Lua
 * script over that queue's keys (one hash tag, so one slot on a Cluster): ready, delayed
 * and leased sorted sets, body and meta hashes, dead letters, and a wake-up list that
 * waiting workers BLPOP on dedicated connections. Lease expiry and notBefore compare
 * against the server's clock. See docs/adapters/redis.md for why these structures.
 */
import { randomUUID } from 'node:crypto';
import {
  type AckAndLeaseResult,
  type AckRef,
  type DeadLetter,
  type DeadLetterPage,
  type Lease,
  type LeaseOptions,
  type Logger,
  type QueueMessage,
  type QueueStats,
  silentLogger,
  type WorkQueue,
  type WorkQueueCapabilities,
} from '@dalston/core/adapter';
import { BlockingWaits } from './blocking-wait.js';
import { clusterEpoch } from './cluster-epoch.js';
import { isCluster } from './connection.js';
import { KeyLayout, QUEUE_PARTS } from './keys.js';
import { parseDeadLetter, parseMessage } from './queue-entries.js';
import { scanQueueNames } from './queue-names.js';
import { type RedisClient, scripts } from './scripts.js';
import { closedError, guard } from './store-errors.js';

export interface RedisWorkQueueOptions {
  client: RedisClient;
  prefix?: string;
  logger?: Logger;
}

/** Queues whose key names are kept (a worker uses a few; more only clears the cache). */
const MAX_CACHED_QUEUES = 1024;
/** Index of the wake-up list in a queue's keys (see QUEUE_PARTS). */
const SIGNAL = QUEUE_PARTS.indexOf('signal');

type LeaseAttempt = { lease: Lease } | { lease: null; wakeInMs: number };

export class RedisWorkQueue implements WorkQueue {
  readonly capabilities: WorkQueueCapabilities = { blockingLease: true, ackAndLease: true };
  private readonly client: RedisClient;
  private readonly keys: KeyLayout;
  private readonly logger: Logger;
  private readonly waits: BlockingWaits;
  /** queue -> its keys, built once: every call on a queue passes the same ten names. */
  private readonly keysOf = new Map<string, readonly string[]>();
  private closed = false;

  constructor(options: RedisWorkQueueOptions) {
    this.client = options.client;
    this.keys = new KeyLayout(options.prefix ?? 'dalston');
    this.logger = options.logger ?? silentLogger;
    this.waits = new BlockingWaits(options.client);
  }

  async enqueue(messages: QueueMessage[]): Promise<number> {
    this.assertOpen('enqueue');
    const byQueue = new Map<string, QueueMessage[]>();
    for (const m of messages) {
      const batch = byQueue.get(m.queue);
      if (batch) batch.push(m);
      else byQueue.set(m.queue, [m]);
    }
    return guard('workQueue', 'enqueue', async () => {
      let added = 0;
      for (const [queue, batch] of byQueue) {
        const args: (string | number)[] = [batch.length];
        for (const m of batch) {
          args.push(m.id, JSON.stringify(m), m.priority, m.notBefore ?? -1, m.maxDeliveries);
        }
        added += Number(await scripts.enqueue.run(this.client, this.queueKeys(queue), args));
      }
      return added;
    });
  }

  async lease(queues: string[], options: LeaseOptions): Promise<Lease | null> {
    this.assertOpen('lease');
    return guard('workQueue', 'lease', () => this.leaseLoop(queues, options, null));
  }

  /**
   * Acks `done` and leases the next message. When `done` is on the first of `queues`
   * (a worker on one queue, the usual case) both run in one script, one round trip;
   * otherwise `ack` then `lease` (on a Cluster the queues live on different slots).
   */
  async ackAndLease(done: AckRef, queues: string[], options: LeaseOptions): Promise<AckAndLeaseResult> {
    this.assertOpen('ackAndLease');
    if (done.queue !== queues[0]) {
      const acked = await this.ack(done.queue, done.messageId, done.token);
      return { acked, lease: await this.lease(queues, options) };
    }
    return guard('workQueue', 'ackAndLease', async () => {
      const queue = done.queue;
      const token = randomUUID();
      const args = [done.messageId, done.token, options.leaseMs, token];
      const [acked, ...rest] = (await scripts.ackLease.run(this.client, this.queueKeys(queue), args)) as [
        number,
        ...unknown[],
      ];
      let first = await this.attemptOf(queue, token, rest);
      if (first === 'retry') first = await this.leaseOne(queue, options.leaseMs);
      if (first.lease) return { acked: Number(acked) === 1, lease: first.lease };
      return { acked: Number(acked) === 1, lease: await this.leaseLoop(queues, options, first) };
    });
  }

  async extend(queue: string, messageId: string, token: string, leaseMs: number): Promise<number | null> {
    this.assertOpen('extend');
    return guard('workQueue', 'extend', async () => {
      const r = Number(
        await scripts.extend.run(this.client, this.queueKeys(queue), [messageId, token, leaseMs]),
      );
      return r < 0 ? null : r;
    });
  }

  async ack(queue: string, messageId: string, token: string): Promise<boolean> {
    this.assertOpen('ack');
    return guard('workQueue', 'ack', async () => {
      return Number(await scripts.ack.run(this.client, this.queueKeys(queue), [messageId, token])) === 1;
    });
  }

  async release(
    queue: string,
    messageId: string,
    token: string,
    options: { delayMs: number; countDelivery?: boolean },
  ): Promise<boolean> {
    this.assertOpen('release');
    return guard('workQueue', 'release', async () => {
      const args = [messageId, token, Math.ceil(options.delayMs), options.countDelivery ? '1' : '0'];
      return Number(await scripts.release.run(this.client, this.queueKeys(queue), args)) === 1;
    });
  }

  async remove(queue: string, messageId: string): Promise<boolean> {
    this.assertOpen('remove');
    return guard('workQueue', 'remove', async () => {
      return Number(await scripts.remove.run(this.client, this.queueKeys(queue), [messageId])) === 1;
    });
  }

  async deadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    this.assertOpen('deadLetters');
    return this.readLetters('deadLetters', scripts.deadLetters, queue, limit);
  }

  async deadLetterPage(queue: string, options: { after?: number; limit: number }): Promise<DeadLetterPage> {
    return guard('workQueue', 'deadLetterPage', async () => {
      const args = [String(options.after ?? 0), options.limit];
      const flat = (await scripts.deadPage.run(this.client, this.queueKeys(queue), args)) as (
        | string
        | null
      )[];
      const letters: DeadLetter[] = [];
      for (let i = 0; i < flat.length; i += 3)
        letters.push(parseDeadLetter(queue, String(flat[i]), flat[i + 2] ?? null));
      const next = letters.length === options.limit ? Number(flat[flat.length - 2]) : null;
      return { letters, next };
    });
  }

  async unprocessedDeadLetters(queue: string, limit: number): Promise<DeadLetter[]> {
    this.assertOpen('unprocessedDeadLetters');
    return this.readLetters('unprocessedDeadLetters', scripts.deadUnprocessed, queue, limit);
  }

  /** Reads up to `limit` dead letters with `script` (pairs of id and stored entry). */
  private async readLetters(
    operation: string,
    script: typeof scripts.deadLetters,
    queue: string,
    limit: number,
  ): Promise<DeadLetter[]> {
    return guard('workQueue', operation, async () => {
      const flat = (await script.run(this.client, this.queueKeys(queue), [limit])) as (string | null)[];
      const out: DeadLetter[] = [];
      for (let i = 0; i < flat.length; i += 2)
        out.push(parseDeadLetter(queue, String(flat[i]), flat[i + 1] ?? null));
      return out;
    });
  }

  async markDeadLettersProcessed(queue: string, ids: string[]): Promise<number> {
    this.assertOpen('markDeadLettersProcessed');
    if (ids.length === 0) return 0;
    return guard('workQueue', 'markDeadLettersProcessed', async () => {
      return Number(await scripts.deadProcessed.run(this.client, this.queueKeys(queue), ids));
    });
  }

  /**
   * The marker key's value, joined with the primary's replication id (`master_replid`), so a
   * failover changes the epoch too: writes the old primary acknowledged after the promotion
   * (an enqueue, say) are lost when it is demoted, and only a full re-enqueue finds them. A
   * promoted replica takes a new replication id, and so does a restarted server. Without
   * the INFO command (an ACL that forbids it) the marker alone is the epoch.
   */
  async epoch(): Promise<string> {
    this.assertOpen('epoch');
    return guard('workQueue', 'epoch', async () => {
      if (isCluster(this.client)) return clusterEpoch(this.client, this.keys.prefix, randomUUID);
      const marker = String(await scripts.epoch.run(this.client, [this.keys.epoch()], [randomUUID()]));
      const replid = await replicationId(this.client);
      return replid ? `${marker}@${replid}` : marker;
    });
  }

  async removeDeadLetter(queue: string, id: string): Promise<boolean> {
    this.assertOpen('removeDeadLetter');
    return guard('workQueue', 'removeDeadLetter', async () => {
      return Number(await scripts.removeDead.run(this.client, this.queueKeys(queue), [id])) === 1;
    });
  }

  async queueNames(): Promise<string[]> {
    this.assertOpen('queueNames');
    return guard('workQueue', 'queueNames', () => scanQueueNames(this.client, this.keys.prefix));
  }

  async stats(queue: string): Promise<QueueStats> {
    this.assertOpen('stats');
    return guard('workQueue', 'stats', async () => {
      const [ready, delayed, leased, dead] = (await scripts.stats.run(
        this.client,
        this.queueKeys(queue),
        [],
      )) as number[];
      return { ready: Number(ready), delayed: Number(delayed), leased: Number(leased), dead: Number(dead) };
    });
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    await guard('workQueue', 'ping', async () => {
      await this.client.ping();
    });
  }

  /** Ends pending waits (they resolve null) and closes the blocking connections. The shared client stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waits.close();
  }

  /**
   * Lease attempts over `queues` in order, then a blocking wait, until a lease, the
   * deadline, an abort or close. `first` is an attempt already made on `queues[0]`.
   */
  private async leaseLoop(queues: string[], options: LeaseOptions, first: LeaseAttempt | null) {
    const deadline = Date.now() + options.waitMs;
    const signals = queues.map((q) => this.queueKeys(q)[SIGNAL]!);
    let made = first;
    for (;;) {
      if (this.closed || options.signal?.aborted) return null;
      let wakeInMs = -1;
      for (const queue of queues) {
        const got = made ?? (await this.leaseOne(queue, options.leaseMs));
        made = null;
        if (got.lease) return got.lease;
        if (got.wakeInMs >= 0 && (wakeInMs < 0 || got.wakeInMs < wakeInMs)) wakeInMs = got.wakeInMs;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      const timeout = wakeInMs >= 0 ? Math.min(remaining, wakeInMs) : remaining;
      await this.waits.wait(signals, timeout, options.signal);
    }
  }

  /** One lease attempt on one queue; dead-letters entries that do not parse and tries again. */
  private async leaseOne(queue: string, leaseMs: number): Promise<LeaseAttempt> {
    for (;;) {
      const token = randomUUID();
      const r = (await scripts.lease.run(this.client, this.queueKeys(queue), [leaseMs, token])) as unknown[];
      const got = await this.attemptOf(queue, token, r);
      if (got !== 'retry') return got;
    }
  }

  /** What a lease script returned, or 'retry' after dead-lettering an entry that does not parse. */
  private async attemptOf(queue: string, token: string, r: unknown[]): Promise<LeaseAttempt | 'retry'> {
    if (Number(r[0]) !== 1) return { lease: null, wakeInMs: Number(r[1]) };
    const [, id, body, deliveries, expiresAt] = r as [number, string, string, number, number];
    const message = parseMessage(body, queue, id);
    if (message)
      return { lease: { message, token, deliveries: Number(deliveries), expiresAt: Number(expiresAt) } };
    this.logger.warn('dead-lettering an unparseable queue entry', { queue, id });
    await scripts.reject.run(this.client, this.queueKeys(queue), [id, token, 'unparseable entry']);
    return 'retry';
  }

  /** The KEYS of every script on `queue` (cached; the array is never modified). */
  private queueKeys(queue: string): string[] {
    let keys = this.keysOf.get(queue);
    if (keys === undefined) {
      if (this.keysOf.size >= MAX_CACHED_QUEUES) this.keysOf.clear();
      keys = Object.freeze(this.keys.queue(queue));
      this.keysOf.set(queue, keys);
    }
    return keys as string[];
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw closedError('workQueue', operation);
  }
}

/** `master_replid` of the server the client talks to, or '' when INFO is not allowed. */
async function replicationId(client: RedisClient): Promise<string> {
  let info: string;
  try {
    info = await (client as unknown as { info(section: string): Promise<string> }).info('replication');
  } catch (e) {
    if (/NOPERM|unknown command/i.test(String((e as { message?: unknown })?.message ?? ''))) return '';
    throw e;
  }
  return /^master_replid:([0-9a-f]+)\s*$/m.exec(info)?.[1] ?? '';
}
