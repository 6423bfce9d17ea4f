/**
 * The connection side shared by the four stores: the pool (the host's or our own),
 * the schema, queries and transactions with error mapping, and pool error handling so a
 * backend terminated while idle (or between two statements) never crashes the process.
 */
import { type Clock, isDalstonError, type StoreName, systemClock, withOutcomeUnknown } from '@dalston/core';
import pg from 'pg';
import { closedError, toStoreError } from './errors.js';
import { type PostgresAdapterOptions, parseOptions } from './options.js';

/** Thrown inside a transaction to roll it back and return `value` instead. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

/**
 * Returned by a transaction body whose last query ended with its own `COMMIT` (saving the
 * separate COMMIT round trip): the transaction is over, `value` is the result.
 */
export class Committed<T> {
  constructor(readonly value: T) {}
}

export type Tx = pg.PoolClient;

export class Database {
  readonly pool: pg.Pool;
  /** The schema name, validated as an identifier. */
  readonly schemaName: string;
  readonly clock: Clock;
  private readonly ownsPool: boolean;
  private closed = false;
  /** Set on a store's view by `closeStore`: that store's calls reject CLOSED, its siblings' do not. */
  private viewClosed = false;

  constructor(options: PostgresAdapterOptions) {
    const o = parseOptions(options);
    this.schemaName = o.schema;
    this.clock = o.clock ?? systemClock;
    if ('pool' in o) {
      this.pool = o.pool;
      this.ownsPool = false;
    } else {
      this.pool = new pg.Pool({
        connectionString: o.connectionString,
        max: o.max,
        idleTimeoutMillis: o.idleTimeoutMillis,
        connectionTimeoutMillis: o.connectionTimeoutMillis,
        application_name: o.applicationName,
      });
      this.ownsPool = true;
      // An idle client whose backend dies emits 'error' on the pool; without a listener
      // Node would crash. The pool already drops the client; the next query reconnects.
      this.pool.on('error', () => {});
    }
  }

  /** `"schema".name`, for SQL text. */
  t(name: string): string {
    return `"${this.schemaName}".${name}`;
  }

  /**
   * One statement through `pool.query`. A connection that could not be opened fails
   * plainly (nothing was sent); one lost otherwise fails marked `withOutcomeUnknown`.
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    store: StoreName,
    operation: string,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    if (this.closed || this.viewClosed) throw closedError(store, operation);
    try {
      return await this.pool.query<R>(text, values);
    } catch (e) {
      const mapped = toStoreError(store, operation, e);
      const sent = isConnectionLoss(e) && !notSent(e) && !isDalstonError(e);
      throw sent ? withOutcomeUnknown(mapped) : mapped;
    }
  }

  /**
   * Runs `fn` on one pooled client held for its duration; errors mapped for `store.operation`.
   * Failing to get a connection is a plain STORE_UNAVAILABLE; losing it while `fn` runs is
   * marked `withOutcomeUnknown` (a statement, or a COMMIT, may have been applied without its
   * answer arriving).
   */
  async withClient<T>(store: StoreName, operation: string, fn: (client: Tx) => Promise<T>): Promise<T> {
    if (this.closed || this.viewClosed) throw closedError(store, operation);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw toStoreError(store, operation, e);
    }
    let broken: unknown = null;
    // A checked-out client has no pool listener: keep its 'error' from crashing the process.
    const onError = (err: unknown) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (e) {
      if (broken === null && isConnectionLoss(e)) broken = e;
      const mapped = toStoreError(store, operation, e);
      const sent = broken !== null && !isDalstonError(e) && !notSent(e);
      throw sent ? withOutcomeUnknown(mapped) : mapped;
    } finally {
      client.removeListener('error', onError);
      // A client whose connection broke is destroyed rather than returned to the pool.
      client.release(broken ? (broken as Error) : undefined);
    }
  }

  /**
   * BEGIN … COMMIT around `fn`. Throwing `Rollback(value)` rolls back and returns `value`;
   * any other error rolls back and rejects (mapped). Nothing half-written survives.
   */
  async transaction<T>(store: StoreName, operation: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transactionAfter(store, operation, () => [], fn);
  }

  /**
   * Like `transaction`, but the opening round trip is `BEGIN; <statements>` sent as one
   * simple query (no parameters: values must be inlined with `tx.escapeLiteral`). Each
   * statement takes its own snapshot (READ COMMITTED), so a statement after a row lock sees
   * everything committed before the lock was granted. `fn` gets the statements' results;
   * it may end the transaction itself with a query ending in `COMMIT` and return `Committed`.
   */
  async transactionAfter<T>(
    store: StoreName,
    operation: string,
    opening: (tx: Tx) => string[],
    fn: (tx: Tx, opened: pg.QueryResult[]) => Promise<T | Committed<T>>,
  ): Promise<T> {
    return this.withClient(store, operation, async (client) => {
      let result: T | Committed<T>;
      try {
        const statements = opening(client);
        if (statements.length === 0) {
          await client.query('BEGIN');
          result = await fn(client, []);
        } else {
          const res = (await client.query(
            ['BEGIN', ...statements].join(';\n'),
          )) as unknown as pg.QueryResult[];
          result = await fn(client, res.slice(1));
        }
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        if (e instanceof Rollback) return e.value as T;
        throw e;
      }
      if (result instanceof Committed) return result.value;
      await client.query('COMMIT');
      return result;
    });
  }

  /**
   * A handle for one store on this pool (a prototype view: same pool, same state), which
   * `closeStore` can close for that store alone while its siblings keep working.
   */
  view(): Database {
    return Object.create(this) as Database;
  }

  /**
   * Closes this view (see `view`): its later calls reject with CLOSED. Ends the pool too
   * when `ownsDb` (the store created the Database from options). Idempotent.
   */
  async closeStore(ownsDb: boolean): Promise<void> {
    this.viewClosed = true;
    if (ownsDb) await this.close();
  }

  /** `SELECT 1` for `store.ping`: STORE_UNAVAILABLE when the server does not answer. */
  async ping(store: StoreName): Promise<void> {
    await this.query(store, 'ping', 'SELECT 1');
  }

  /** Ends the pool if the adapter created it; a host's pool is left alone. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

const LOSS_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

/** Refused or unresolved connections, a server not accepting connections yet. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P03',
]);

/**
 * Errors that prove the statement was never sent: the connection could not be opened, or
 * pg refused a query on a client it already knew broken or closed.
 */
function notSent(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return true;
  const message = e instanceof Error ? e.message : '';
  return /is not queryable|when trying to connect|due to connection timeout/i.test(message);
}

/** True for errors after which the connection cannot be reused. */
export function isConnectionLoss(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (LOSS_CODES.has(code) || code.startsWith('08'))) return true;
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(
    message,
  );
}
