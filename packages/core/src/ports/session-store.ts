/**
 * SessionStore: live, ephemeral session state with a TTL (Redis hashes in
 * production). Expired state is gone entirely, never half-present. Patches may carry
 * the version they expect, so concurrent writers never lose updates silently.
 *
 * Deliberately left out: the durable record (SessionArchive) and limits.
 * Failures reject with STORE_UNAVAILABLE (`store: 'sessionStore'`). TTLs are
 * milliseconds (relative); times are epoch ms.
 */
import type { JsonValue } from '../domain/json.js';
import type { LiveSession, SessionStatus } from '../domain/session.js';
import type { PortLifecycle } from './lifecycle.js';

export interface SessionPatch {
  status?: SessionStatus;
  workerId?: string | null;
  /** Fields to set (a field set to null is stored as null, not removed). */
  fields?: Record<string, JsonValue>;
}

export interface PatchOptions {
  /** Apply only when the stored version equals this. */
  expectedVersion?: number;
  /** Also renew the TTL to this many ms from `at`. */
  ttlMs?: number;
  /** Time of the write (epoch ms), recorded as updatedAt. */
  at: number;
}

export type PatchResult =
  | { ok: true; session: LiveSession }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'version_mismatch'; currentVersion: number };

export interface SessionPage {
  sessions: LiveSession[];
  nextCursor: string | null;
}

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface SessionStore extends PortLifecycle {
  /**
   * Stores a new session (version 1) expiring `ttlMs` after `session.createdAt`, and records
   * `ttlMs` on it (read back as `session.ttlMs`; patch and touch leave it as it is). Returns
   * false when the id exists.
   */
  create(session: LiveSession, ttlMs: number): Promise<boolean>;
  /** The live session of this tenant, or null when unknown or expired. */
  get(tenantId: string, sessionId: string): Promise<LiveSession | null>;
  /** Atomically applies a patch, raising the version by one. */
  patch(
    tenantId: string,
    sessionId: string,
    patch: SessionPatch,
    options: PatchOptions,
  ): Promise<PatchResult>;
  /** Renews the TTL. Returns false when the session is gone. */
  touch(tenantId: string, sessionId: string, ttlMs: number): Promise<boolean>;
  /** Deletes the session. Returns whether it was there. Idempotent. */
  delete(tenantId: string, sessionId: string): Promise<boolean>;
  /** The tenant's live sessions (an index that never lists an expired one), paged. `limit` 1..1000. */
  list(tenantId: string, limit: number, cursor?: string | null): Promise<SessionPage>;
}
