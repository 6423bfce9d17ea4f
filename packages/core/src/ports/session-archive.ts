/**
 * SessionArchive: the durable record of each realtime session, opened at start and
 * closed at the end (PostgreSQL in production). The live state is SessionStore's.
 * Failures reject with STORE_UNAVAILABLE (`store: 'sessionArchive'`). Times: epoch ms.
 */
import type { JsonObject } from '../domain/json.js';
import type { SessionRecord, SessionStatus } from '../domain/session.js';
import type { PortLifecycle } from './lifecycle.js';

export interface SessionClose {
  status: Exclude<SessionStatus, 'active'>;
  endedAt: number;
  stats: JsonObject;
  artifacts: Record<string, string>;
  error: string | null;
}

/** A position in `listActive` order: the last record of a page. */
export interface SessionCursor {
  startedAt: number;
  id: string;
}

/** `ping()` and `close()`: see {@link PortLifecycle} (`closeRecord` closes one session record). */
export interface SessionArchive extends PortLifecycle {
  /** Opens an `active` record. Rejects with CONFLICT when the id exists. */
  open(record: SessionRecord): Promise<SessionRecord>;
  /** The tenant's record, or null. */
  get(tenantId: string, sessionId: string): Promise<SessionRecord | null>;
  /**
   * Closes the record if it is still `active` (compare-and-set). Returns the closed
   * record, or null when unknown or already closed (the first close wins).
   */
  closeRecord(tenantId: string, sessionId: string, close: SessionClose): Promise<SessionRecord | null>;
  /**
   * Records still `active` that started before `startedBefore`, oldest first by
   * (startedAt, id), after `after` when given (keyset paging, for the sweeper). `limit` 1..1000.
   */
  listActive(startedBefore: number, limit: number, after?: SessionCursor): Promise<SessionRecord[]>;
  /**
   * The tenant's records, active and closed, newest first by (startedAt, id) descending,
   * before `before` when given (keyset paging, for operators). `limit` 1..1000; an unknown
   * tenant has none.
   */
  listByTenant(tenantId: string, limit: number, before?: SessionCursor): Promise<SessionRecord[]>;
  /** Ids of a tenant's active records (for slot resync). */
  activeIds(tenantId: string): Promise<string[]>;
  /** Tenants with at least one active record. */
  tenantsWithActive(): Promise<string[]>;
}
