/**
 * RedisSessionStore: one hash per live session (`{<prefix>:s:<tenant>:<id>}`) with a
 * PEXPIRE TTL, so expired state is gone at once, never half-present. Free-form fields are
 * stored one hash field each (`f:<name>` = JSON), so a patch touches only what it sets;
 * patches run in Lua with an optional version check.
 *
 * Listing by tenant uses a per-tenant index in its own slot (`{<prefix>:si:<tenant>}`),
 * written as a second command after the session hash (they are in different slots on a
 * Cluster). The index never outlives its members: entries are scored by expiry (server
 * time), pruned on every read, the index keys expire with their last member, and ids
 * whose hash is gone are filtered out of every page.
 */
import {
  type JsonValue,
  type LiveSession,
  type Logger,
  liveSessionSchema,
  type PatchOptions,
  type PatchResult,
  type SessionPage,
  type SessionPatch,
  type SessionStore,
  silentLogger,
} from '@dalston/core/adapter';
import { KeyLayout } from './keys.js';
import { type RedisClient, scripts } from './scripts.js';
import { closedError, guard } from './store-errors.js';

export interface RedisSessionStoreOptions {
  client: RedisClient;
  prefix?: string;
  logger?: Logger;
}

const FIELD = 'f:';

export class RedisSessionStore implements SessionStore {
  private readonly client: RedisClient;
  private readonly keys: KeyLayout;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: RedisSessionStoreOptions) {
    this.client = options.client;
    this.keys = new KeyLayout(options.prefix ?? 'dalston');
    this.logger = options.logger ?? silentLogger;
  }

  async create(session: LiveSession, ttlMs: number): Promise<boolean> {
    this.assertOpen('create');
    const s = { ...session, version: 1, expiresAt: session.createdAt + ttlMs };
    return guard('sessionStore', 'create', async () => {
      const hash = [
        ...['id', s.id, 'tenantId', s.tenantId, 'status', s.status, 'workerId', JSON.stringify(s.workerId)],
        ...['version', '1', 'createdAt', String(s.createdAt), 'updatedAt', String(s.updatedAt)],
        ...['expiresAt', String(s.expiresAt), 'ttlMs', String(ttlMs)],
        ...Object.entries(s.fields).flatMap(([k, v]) => [FIELD + k, JSON.stringify(v)]),
      ];
      const key = this.keys.session(s.tenantId, s.id);
      const created = Number(await scripts.sessionCreate.run(this.client, [key], [ttlMs, ...hash])) === 1;
      if (created) await this.index(s.tenantId, s.id, ttlMs);
      return created;
    });
  }

  async get(tenantId: string, sessionId: string): Promise<LiveSession | null> {
    this.assertOpen('get');
    return guard('sessionStore', 'get', async () => {
      const flat = await this.client.hgetall(this.keys.session(tenantId, sessionId));
      return this.decode(tenantId, sessionId, flat);
    });
  }

  async patch(
    tenantId: string,
    sessionId: string,
    patch: SessionPatch,
    options: PatchOptions,
  ): Promise<PatchResult> {
    this.assertOpen('patch');
    const pairs: string[] = [];
    if (patch.status !== undefined) pairs.push('status', patch.status);
    if (patch.workerId !== undefined) pairs.push('workerId', JSON.stringify(patch.workerId));
    for (const [k, v] of Object.entries(patch.fields ?? {}))
      pairs.push(FIELD + k, JSON.stringify(v as JsonValue));
    const args = [
      options.expectedVersion === undefined ? '' : String(options.expectedVersion),
      String(options.at),
      options.ttlMs === undefined ? '' : String(options.ttlMs),
      ...pairs,
    ];
    return guard('sessionStore', 'patch', async () => {
      const key = this.keys.session(tenantId, sessionId);
      const r = (await scripts.sessionPatch.run(this.client, [key], args)) as [number, unknown];
      if (Number(r[0]) === 0) return { ok: false, reason: 'not_found' };
      if (Number(r[0]) === -1) return { ok: false, reason: 'version_mismatch', currentVersion: Number(r[1]) };
      if (options.ttlMs !== undefined) await this.index(tenantId, sessionId, options.ttlMs);
      const session = this.decode(tenantId, sessionId, pairsToObject(r[1] as string[]));
      return session ? { ok: true, session } : { ok: false, reason: 'not_found' };
    });
  }

  async touch(tenantId: string, sessionId: string, ttlMs: number): Promise<boolean> {
    this.assertOpen('touch');
    return guard('sessionStore', 'touch', async () => {
      const key = this.keys.session(tenantId, sessionId);
      const r = Number(await scripts.sessionTouch.run(this.client, [key], [ttlMs]));
      if (r < 0) return false;
      await this.index(tenantId, sessionId, ttlMs);
      return true;
    });
  }

  async delete(tenantId: string, sessionId: string): Promise<boolean> {
    this.assertOpen('delete');
    return guard('sessionStore', 'delete', async () => {
      const n = await this.client.del(this.keys.session(tenantId, sessionId));
      await scripts.sessionIndexRemove.run(this.client, this.keys.sessionIndex(tenantId), [sessionId]);
      return n === 1;
    });
  }

  async list(tenantId: string, limit: number, cursor?: string | null): Promise<SessionPage> {
    this.assertOpen('list');
    return guard('sessionStore', 'list', async () => {
      const sessions: LiveSession[] = [];
      let after = cursor ?? '';
      // Ids whose hash expired meanwhile are skipped; keep reading until the page is full.
      for (;;) {
        const want = limit - sessions.length;
        const ids = (await scripts.sessionIndexList.run(this.client, this.keys.sessionIndex(tenantId), [
          after,
          want + 1,
        ])) as string[];
        const page = ids.slice(0, want);
        const found = await Promise.all(page.map((id) => this.get(tenantId, id)));
        for (const s of found) if (s) sessions.push(s);
        if (ids.length <= want) return { sessions, nextCursor: null };
        after = page[page.length - 1]!;
        if (sessions.length >= limit) return { sessions, nextCursor: after };
      }
    });
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    await guard('sessionStore', 'ping', async () => {
      await this.client.ping();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async index(tenantId: string, sessionId: string, ttlMs: number): Promise<void> {
    await scripts.sessionIndexAdd.run(this.client, this.keys.sessionIndex(tenantId), [sessionId, ttlMs]);
  }

  /** The session from its hash fields, or null when gone; a corrupt hash is logged and reads as gone. */
  private decode(tenantId: string, sessionId: string, flat: Record<string, string>): LiveSession | null {
    if (!flat || Object.keys(flat).length === 0) return null;
    try {
      const fields = Object.fromEntries(
        Object.entries(flat)
          .filter(([k]) => k.startsWith(FIELD))
          .map(([k, v]) => [k.slice(FIELD.length), JSON.parse(v)]),
      );
      const candidate = {
        id: flat.id,
        tenantId: flat.tenantId,
        status: flat.status,
        workerId: flat.workerId === undefined ? undefined : JSON.parse(flat.workerId),
        fields,
        version: Number(flat.version),
        createdAt: Number(flat.createdAt),
        updatedAt: Number(flat.updatedAt),
        expiresAt: Number(flat.expiresAt),
        ...(flat.ttlMs === undefined ? {} : { ttlMs: Number(flat.ttlMs) }),
      };
      const parsed = liveSessionSchema.safeParse(candidate);
      if (parsed.success && parsed.data.tenantId === tenantId && parsed.data.id === sessionId)
        return parsed.data;
    } catch {
      // reported below
    }
    this.logger.warn('ignoring a corrupt live session hash', { tenantId, sessionId });
    return null;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw closedError('sessionStore', operation);
  }
}

function pairsToObject(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
