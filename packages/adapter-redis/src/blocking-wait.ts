/**
 * Waiting for work without polling. Each waiting lease borrows a dedicated connection
 * (a `duplicate()` of the client: a blocked connection can serve nothing else) and
 * BLPOPs the wake-up lists of its queues; enqueue and release push a token there, so a
 * waiter wakes within a round trip. The timeout is capped by the caller (earliest
 * delayed message or lease expiry), and ioredis' `blockingTimeout` ends a BLPOP on a
 * connection that died silently. Aborting or closing disconnects the borrowed
 * connection, which ends its BLPOP at once.
 *
 * On a Cluster, BLPOP needs all its keys in one slot; queues hash to different slots,
 * so a wait on several queues runs one BLPOP per queue (each on its own connection) and
 * the first to return ends the others.
 */
import type { Redis } from 'ioredis';
import { isCluster } from './connection.js';
import type { RedisClient } from './scripts.js';

const MAX_IDLE = 16;

export class BlockingWaits {
  private readonly idle: RedisClient[] = [];
  private readonly busy = new Set<RedisClient>();
  private closed = false;

  constructor(private readonly base: RedisClient) {}

  /**
   * Blocks until a token arrives on one of `keys` (true), or `timeoutMs` passes, the
   * signal aborts or the waits are closed (false). Rejects when the connection fails.
   */
  async wait(keys: string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closed || signal?.aborted) return false;
    const groups = isCluster(this.base) ? keys.map((k) => [k]) : [keys];
    const conns = groups.map(() => this.borrow());
    let settled = false;
    const stopAll = () => {
      if (settled) return;
      settled = true;
      for (const c of conns) this.discard(c);
    };
    signal?.addEventListener('abort', stopAll, { once: true });
    try {
      const seconds = Math.max(0.001, timeoutMs / 1000).toFixed(3);
      const results = groups.map((g, i) =>
        conns[i]!.blpop(...g, seconds).then(
          (r) => r !== null,
          (e) => {
            if (settled || this.closed) return false;
            throw e;
          },
        ),
      );
      const got = await Promise.race(results);
      if (groups.length > 1) stopAll(); // the others may still block: end them
      return got;
    } catch (e) {
      stopAll();
      throw e;
    } finally {
      signal?.removeEventListener('abort', stopAll);
      if (!settled) for (const c of conns) this.giveBack(c);
    }
  }

  /** Disconnects every connection; pending waits resolve false. Idempotent. */
  close(): void {
    this.closed = true;
    for (const c of [...this.busy, ...this.idle]) c.disconnect();
    this.busy.clear();
    this.idle.length = 0;
  }

  private borrow(): RedisClient {
    const conn = this.idle.pop() ?? this.open();
    this.busy.add(conn);
    return conn;
  }

  private giveBack(conn: RedisClient): void {
    if (!this.busy.delete(conn)) return;
    if (this.closed || this.idle.length >= MAX_IDLE) conn.disconnect();
    else this.idle.push(conn);
  }

  private discard(conn: RedisClient): void {
    this.busy.delete(conn);
    conn.disconnect();
  }

  private open(): RedisClient {
    let conn: RedisClient;
    if (isCluster(this.base)) {
      const redisOptions = {
        ...this.base.options.redisOptions,
        commandTimeout: undefined,
        blockingTimeout: 2000,
      };
      conn = this.base.duplicate(undefined, { redisOptions });
    } else {
      conn = (this.base as Redis).duplicate({ commandTimeout: undefined, blockingTimeout: 2000 });
    }
    conn.on('error', () => {}); // failures surface on the BLPOP itself
    return conn;
  }
}
