/**
 * The connection side shared by the four stores: the pool (the host's or our own),
 * the schema, queries and transactions with error mapping, and pool error handling so a
 * backend terminated while idle (or between two statements) never crashes the process.
 */
import {
  type Clock,
  isDalstonError,
  type StoreName,
  systemClock,
  withOutcomeUnknown,
} from '@dalston/core/adapter';
import pg from 'pg';
import { closedError, toStoreError } from './errors.js';
import { type PostgresAdapterOptions, parseOptions } from './options.js';

/** Thrown inside a transaction to roll it back and return `value` instead. */
export class Rollback<T> {
  constructor(readonly value: T) {}
}

export type Tx = pg.PoolClient;

/** A named (prepared) statement: its name and text. */
export interface Prepared {
  name: string;
  text: string;
}

/** 32-bit FNV-1a of `s`, as 8 hex digits. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export class Database {
  readonly pool: pg.Pool;
  /** The schema name, validated as an identifier. */
  readonly schemaName: string;
  readonly clock: Clock;
  private readonly ownsPool: boolean;
  private readonly statements = new Map<string, Prepared>();
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
   * One statement through `pool.query`; `text` is SQL, or a named statement from `prepared()`
   * (parsed and planned once per connection). A connection that could not be opened fails
   * plainly (nothing was sent); one lost otherwise fails marked `withOutcomeUnknown`.
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    store: StoreName,
    operation: string,
    text: string | Prepared,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    if (this.closed || this.viewClosed) throw closedError(store, operation);
    try {
      return typeof text === 'string'
        ? await this.pool.query<R>(text, values)
        : await this.pool.query<R>({ name: text.name, text: text.text, values });
    } catch (e) {
      const mapped = toStoreError(store, operation, e);
      const sent = isConnectionLoss(e) && !notSent(e) && !isDalstonError(e);
      throw sent ? withOutcomeUnknown(mapped) : mapped;
    }
  }

  /**
   * A named statement for `text` (built once by `build`, cached under `key`). The name is a
   * hash of the text, so stores on different schemas sharing one pool never reuse each
   * other's statements; every parameter is bound, never quoted into the text.
   */
  prepared(key: string, build: () => string): Prepared {
    let p = this.statements.get(key);
    if (!p) {
      const text = build();
      p = { name: `dalston_${key}_${fnv1a(text)}`, text };
      this.statements.set(key, p);
    }
    return p;
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
    return this.withClient(store, operation, async (client) => {
      let result: T;
      try {
        await client.query('BEGIN');
        result = await fn(client);
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        if (e instanceof Rollback) return e.value as T;
        throw e;
      }
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
