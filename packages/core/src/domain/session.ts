import type { JsonObject, JsonValue } from './json.js';

/** `active → completed | interrupted | error`. */
export const SESSION_STATUSES = ['active', 'completed', 'interrupted', 'error'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/**
 * Live, ephemeral state of a realtime session (SessionStore). Expires unless touched.
 * `version` increases by one on every patch; a patch may name the version it expects.
 */
export interface LiveSession {
  id: string;
  tenantId: string;
  status: SessionStatus;
  workerId: string | null;
  /** Free-form state fields. */
  fields: Record<string, JsonValue>;
  version: number;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms at which the live state disappears unless touched. */
  expiresAt: number;
  /**
   * The TTL (ms) the session was started with, recorded by the store at create: keepalive
   * and update renew by it when given no other. Absent on state written before it existed.
   */
  ttlMs?: number;
}

/** The durable record of a session (SessionArchive). */
export interface SessionRecord {
  id: string;
  tenantId: string;
  status: SessionStatus;
  workerId: string | null;
  startedAt: number;
  endedAt: number | null;
  stats: JsonObject;
  /** Artifact URIs recorded by the session, by name. */
  artifacts: Record<string, string>;
  error: string | null;
}
