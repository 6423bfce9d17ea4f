/**
 * MemorySessionStore: the SessionStore port in process. Live sessions expire by the
 * injected clock: an expired session is gone at once (get → null, list never shows it,
 * patch → not_found), and is swept from memory on the next write.
 */
import {
  type Clock,
  DalstonError,
  type LiveSession,
  type PatchOptions,
  type PatchResult,
  type SessionPage,
  type SessionPatch,
  type SessionStore,
  systemClock,
} from '@dalston/core/adapter';

export interface MemorySessionStoreOptions {
  clock?: Clock;
}

export class MemorySessionStore implements SessionStore {
  private readonly clock: Clock;
  /** By session id (ids are unique across tenants); reads check the tenant. */
  private readonly sessions = new Map<string, LiveSession>();
  private closed = false;
  private creates = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async create(session: LiveSession, ttlMs: number): Promise<boolean> {
    this.assertOpen('create');
    if (++this.creates % 256 === 0) this.sweep();
    if (this.sessions.has(session.id) && this.live(this.sessions.get(session.id)!.tenantId, session.id)) {
      return false;
    }
    const stored = structuredClone(session);
    stored.version = 1;
    stored.expiresAt = session.createdAt + ttlMs;
    stored.ttlMs = ttlMs;
    this.sessions.set(session.id, stored);
    return true;
  }

  async get(tenantId: string, sessionId: string): Promise<LiveSession | null> {
    this.assertOpen('get');
    const s = this.live(tenantId, sessionId);
    return s ? structuredClone(s) : null;
  }

  async patch(
    tenantId: string,
    sessionId: string,
    patch: SessionPatch,
    options: PatchOptions,
  ): Promise<PatchResult> {
    this.assertOpen('patch');
    const s = this.live(tenantId, sessionId);
    if (!s) return { ok: false, reason: 'not_found' };
    if (options.expectedVersion !== undefined && options.expectedVersion !== s.version) {
      return { ok: false, reason: 'version_mismatch', currentVersion: s.version };
    }
    if (patch.status !== undefined) s.status = patch.status;
    if (patch.workerId !== undefined) s.workerId = patch.workerId;
    if (patch.fields) Object.assign(s.fields, structuredClone(patch.fields));
    s.version += 1;
    s.updatedAt = options.at;
    if (options.ttlMs !== undefined) s.expiresAt = options.at + options.ttlMs;
    return { ok: true, session: structuredClone(s) };
  }

  async touch(tenantId: string, sessionId: string, ttlMs: number): Promise<boolean> {
    this.assertOpen('touch');
    const s = this.live(tenantId, sessionId);
    if (!s) return false;
    s.expiresAt = this.clock.now() + ttlMs;
    return true;
  }

  async delete(tenantId: string, sessionId: string): Promise<boolean> {
    this.assertOpen('delete');
    if (!this.live(tenantId, sessionId)) return false;
    this.sessions.delete(sessionId);
    return true;
  }

  async list(tenantId: string, limit: number, cursor?: string | null): Promise<SessionPage> {
    this.assertOpen('list');
    this.sweep();
    const ids = [...this.sessions.values()]
      .filter((s) => s.tenantId === tenantId && (cursor == null || s.id > cursor))
      .map((s) => s.id)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = ids.slice(0, limit);
    return {
      sessions: page.map((id) => structuredClone(this.sessions.get(id)!)),
      nextCursor: ids.length > limit ? page[page.length - 1]! : null,
    };
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Test helper: sessions held in memory (expired ones are swept every 256 creates and on list). */
  size(): number {
    return this.sessions.size;
  }

  /** The live (unexpired) session of this tenant; an expired one is deleted on sight. */
  private live(tenantId: string, sessionId: string): LiveSession | null {
    const s = this.sessions.get(sessionId);
    if (!s) return null;
    if (s.expiresAt <= this.clock.now()) {
      this.sessions.delete(sessionId);
      return null;
    }
    return s.tenantId === tenantId ? s : null;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new DalstonError('CLOSED', `sessionStore.${operation}: the store is closed`, {
        store: 'sessionStore',
        operation,
      });
    }
  }
}
