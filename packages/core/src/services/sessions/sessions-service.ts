/**
 * sessions: realtime sessions. Live state in the SessionStore (TTL renewed by keepalive),
 * the durable record in the SessionArchive (opened at start, closed at the end with stats
 * and artifact URIs), a concurrency slot per session, and session events in the log.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { sessionArtifactKey, sessionPrefix, validateArtifactName } from '../../domain/artifact-key.js';
import { DalstonError, notFound } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import { storableJsonObjectSchema, storableJsonValueSchema, storableString } from '../../domain/schemas.js';
import { type LiveSession, SESSION_STATUSES, type SessionRecord } from '../../domain/session.js';
import type { ArtifactBody, ArtifactStore, PutResult } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import type { SessionPage, SessionPatch, SessionStore } from '../../ports/session-store.js';
import { TOKENS } from '../../tokens.js';
import { TenantCache } from '../access/tenant-guard.js';
import { artifactBodySchema, putOptionsSchema } from '../artifacts/put-input.js';
import { attempt, parseInput } from '../boundary/result.js';
import { RateLimitsService } from '../rate-limits/rate-limits-service.js';
import { sessionSlotKey } from '../transitions/keys.js';
import { EventPublisher } from '../transitions/publisher.js';
import { recordSessionEvent } from './session-events.js';

const idSchema = storableString().min(1).max(64);
/** Session fields: every key and string must be storable as is on every adapter set. */
const fieldsSchema = z.record(storableString(), storableJsonValueSchema);
const startSchema = z.strictObject({
  tenantId: idSchema,
  workerId: idSchema.optional(),
  fields: fieldsSchema.default({}),
  ttlMs: z.int().min(1).max(86_400_000).optional(),
});
const patchSchema = z.strictObject({
  status: z.enum(SESSION_STATUSES).optional(),
  workerId: idSchema.nullable().optional(),
  fields: fieldsSchema.optional(),
});
const ttlSchema = z.int().min(1).max(86_400_000);
/** `listArchived`'s cursor: `<startedAt>.<id>` of the last record of the previous page. */
const archiveCursorSchema = z
  .string()
  .regex(/^\d{1,15}\.[A-Za-z0-9_-]{1,64}$/, 'must be a nextCursor from a previous page')
  .transform((c) => {
    const dot = c.indexOf('.');
    return { startedAt: Number(c.slice(0, dot)), id: c.slice(dot + 1) };
  });
const archivedListSchema = z
  .strictObject({
    limit: z.int().min(1).max(1000).default(100),
    cursor: archiveCursorSchema.nullable().optional(),
  })
  .default({ limit: 100 });

/** A page of `listArchived`. */
export interface ArchivedPage {
  sessions: SessionRecord[];
  nextCursor: string | null;
}

const listSchema = z
  .strictObject({
    limit: z.int().min(1).max(1000).default(100),
    cursor: storableString().min(1).max(1024).nullable().optional(),
  })
  .default({ limit: 100 });
const keepaliveSchema = z.strictObject({ ttlMs: ttlSchema.optional() }).default({});
const updateOptionsSchema = z
  .strictObject({ expectedVersion: z.int().min(0).optional(), ttlMs: ttlSchema.optional() })
  .default({});
const endSchema = z.strictObject({
  status: z.enum(['completed', 'interrupted', 'error']).default('completed'),
  stats: storableJsonObjectSchema.default({}),
  error: storableString().max(2000).nullable().default(null),
});

export type EndSessionInput = {
  status?: 'completed' | 'interrupted' | 'error';
  stats?: JsonObject;
  error?: string | null;
};

export class SessionsService {
  static readonly inject = [
    TOKENS.sessionStore,
    TOKENS.sessionArchive,
    TOKENS.jobStore,
    TOKENS.artifactStore,
    TOKENS.clock,
    TOKENS.ids,
    TOKENS.config,
    TOKENS.logger,
    RateLimitsService,
    EventPublisher,
    TenantCache,
  ] as const;

  constructor(
    private readonly live: SessionStore,
    private readonly archive: SessionArchive,
    private readonly jobStore: JobStore,
    private readonly artifacts: ArtifactStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly rateLimits: RateLimitsService,
    private readonly publisher: EventPublisher,
    private readonly tenantCache: TenantCache,
  ) {}

  /** A page of the tenant's live sessions (`limit` 1..1000, default 100), after `cursor`. */
  list(
    tenantId: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): ResultAsync<SessionPage, DalstonError> {
    const parsed = parseInput(listSchema, options, 'options');
    if (parsed.isErr()) return errAsync(parsed.error);
    const { limit, cursor } = parsed.value;
    return attempt(() => this.live.list(tenantId, limit, cursor ?? null));
  }

  /**
   * A page of the tenant's session records from the archive, active and ended, newest first
   * (`limit` 1..1000, default 100); `nextCursor` (opaque) is null once a page comes back short.
   */
  listArchived(
    tenantId: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): ResultAsync<ArchivedPage, DalstonError> {
    const parsed = parseInput(archivedListSchema, options, 'options');
    if (parsed.isErr()) return errAsync(parsed.error);
    const { limit, cursor } = parsed.value;
    return attempt(() => this.archive.listByTenant(tenantId, limit, cursor ?? undefined)).map((sessions) => {
      const last = sessions.at(-1);
      return {
        sessions,
        nextCursor: sessions.length === limit && last ? `${last.startedAt}.${last.id}` : null,
      };
    });
  }

  /** Opens a session: takes a tenant slot, opens the archive record, creates the live state. */
  start(input: {
    tenantId: string;
    workerId?: string;
    fields?: Record<string, unknown>;
    ttlMs?: number;
  }): ResultAsync<LiveSession, DalstonError> {
    const parsed = parseInput(startSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const req = parsed.value;
    const id = this.ids.next('ses');
    return attempt(() => this.tenantCache.active(req.tenantId))
      .andThen((tenant) =>
        this.admit(tenant.id, id, tenant.limits.concurrentSessions, req.ttlMs ?? this.config.sessionTtlMs),
      )
      .andThen(() => attempt(() => this.open(id, req)));
  }

  /**
   * Renews the live state's TTL and the slot: by `ttlMs`, else by the session's own TTL (the
   * one it was started with). NOT_FOUND when the session expired or ended.
   */
  keepalive(
    tenantId: string,
    sessionId: string,
    options: { ttlMs?: number } = {},
  ): ResultAsync<void, DalstonError> {
    const parsed = parseInput(keepaliveSchema, options, 'options');
    if (parsed.isErr()) return errAsync(parsed.error);
    return this.renewalTtl(tenantId, sessionId, parsed.value.ttlMs)
      .andThen((ttlMs) =>
        attempt(() => this.live.touch(tenantId, sessionId, ttlMs)).andThen((ok) =>
          ok ? okAsync(ttlMs) : errAsync(notFound('session', sessionId)),
        ),
      )
      .andThen((ttlMs) =>
        this.rateLimits.refreshSlot(sessionSlotKey(tenantId), sessionId, slotTtl(ttlMs)).map(() => undefined),
      );
  }

  /** The live state; NOT_FOUND when expired or ended (see `archived` for the record). */
  get(tenantId: string, sessionId: string): ResultAsync<LiveSession, DalstonError> {
    return attempt(() => this.live.get(tenantId, sessionId)).andThen((s) =>
      s ? okAsync(s) : errAsync(notFound('session', sessionId)),
    );
  }

  /** The durable record (also after the session ended). */
  archived(tenantId: string, sessionId: string): ResultAsync<SessionRecord, DalstonError> {
    return attempt(() => this.archive.get(tenantId, sessionId)).andThen((r) =>
      r ? okAsync(r) : errAsync(notFound('session', sessionId)),
    );
  }

  /**
   * Patches fields and renews the TTL (by `ttlMs`, else by the session's own TTL); CONFLICT
   * when `expectedVersion` is not the stored version.
   */
  update(
    tenantId: string,
    sessionId: string,
    patch: SessionPatch,
    options: { expectedVersion?: number; ttlMs?: number } = {},
  ): ResultAsync<LiveSession, DalstonError> {
    const parsed = parseInput(patchSchema, patch, 'patch');
    if (parsed.isErr()) return errAsync(parsed.error);
    const checked = parseInput(updateOptionsSchema, options, 'options');
    if (checked.isErr()) return errAsync(checked.error);
    options = checked.value;
    const write = (ttlMs: number) => {
      const opts = { at: this.clock.now(), ttlMs, ...pickVersion(options) };
      return attempt(() => this.live.patch(tenantId, sessionId, parsed.value as SessionPatch, opts));
    };
    return this.renewalTtl(tenantId, sessionId, options.ttlMs)
      .andThen(write)
      .andThen((r) => {
        if (r.ok) return okAsync(r.session);
        if (r.reason === 'not_found') return errAsync(notFound('session', sessionId));
        return errAsync(
          new DalstonError('CONFLICT', `session ${sessionId} is at version ${r.currentVersion}`, {
            details: { currentVersion: r.currentVersion },
          }),
        );
      });
  }

  /** Stores a recording (streamed) as `tenants/{t}/sessions/{s}/{name}`; listed in the record at the end. */
  record(
    tenantId: string,
    sessionId: string,
    name: string,
    body: ArtifactBody,
    options: { contentType?: string } = {},
  ): ResultAsync<PutResult, DalstonError> {
    const valid = validateArtifactName(name)
      .andThen(() => parseInput(artifactBodySchema, body, 'body'))
      .andThen(() => parseInput(putOptionsSchema, options, 'options'));
    if (valid.isErr()) return errAsync(valid.error);
    const opts = valid.value;
    return this.archived(tenantId, sessionId)
      .andThen((r) =>
        r.status === 'active'
          ? okAsync(r)
          : errAsync(new DalstonError('INVALID_TRANSITION', `session ${sessionId} ended`)),
      )
      .andThen(() =>
        attempt(() => this.artifacts.put(sessionArtifactKey(tenantId, sessionId, name), body, opts)),
      );
  }

  /** Ends the session: closes the record (first close wins), deletes the live state, frees the slot. */
  end(
    tenantId: string,
    sessionId: string,
    input: EndSessionInput = {},
  ): ResultAsync<SessionRecord, DalstonError> {
    const parsed = parseInput(endSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    return attempt(() => this.close(tenantId, sessionId, parsed.value));
  }

  /** `ttlMs` when given, else the session's own TTL (the engine default for state that lacks it). */
  private renewalTtl(tenantId: string, sessionId: string, ttlMs?: number): ResultAsync<number, DalstonError> {
    if (ttlMs !== undefined) return okAsync(ttlMs);
    return this.get(tenantId, sessionId).map((s) => s.ttlMs ?? this.config.sessionTtlMs);
  }

  private admit(
    tenantId: string,
    sessionId: string,
    override: number | undefined,
    sessionTtlMs: number,
  ): ResultAsync<void, DalstonError> {
    const limit = override ?? this.config.limits.concurrentSessions;
    const failure = this.config.rateLimitFailure.concurrentSessions ?? this.config.rateLimitFailure.default;
    const ttlMs = slotTtl(sessionTtlMs);
    return this.rateLimits
      .acquireSlot(sessionSlotKey(tenantId), sessionId, limit, { failure, ttlMs })
      .andThen((slot) =>
        slot.acquired
          ? okAsync(undefined)
          : errAsync(
              new DalstonError(
                'RATE_LIMITED',
                `tenant ${tenantId} has ${slot.count} of ${limit} live sessions`,
                {
                  retryAfterMs: 1000,
                  details: { limit, count: slot.count },
                },
              ),
            ),
      );
  }

  private async open(id: string, req: z.output<typeof startSchema>): Promise<LiveSession> {
    const now = this.clock.now();
    const ttlMs = req.ttlMs ?? this.config.sessionTtlMs;
    const workerId = req.workerId ?? null;
    const base = { id, tenantId: req.tenantId, status: 'active' as const, workerId };
    try {
      await this.archive.open({
        ...base,
        startedAt: now,
        endedAt: null,
        stats: {},
        artifacts: {},
        error: null,
      });
      const live: LiveSession = {
        ...base,
        fields: req.fields,
        version: 1,
        createdAt: now,
        updatedAt: now,
        expiresAt: now + ttlMs,
      };
      if (!(await this.live.create(live, ttlMs))) throw new DalstonError('CONFLICT', `session ${id} exists`);
      await recordSessionEvent(this.eventDeps(), 'session.started', req.tenantId, id, now, { workerId });
      return (await this.live.get(req.tenantId, id)) ?? live;
    } catch (e) {
      await this.archive
        .closeRecord(req.tenantId, id, {
          status: 'error',
          endedAt: now,
          stats: {},
          artifacts: {},
          error: 'start failed',
        })
        .catch(() => null);
      await this.rateLimits.releaseSlot(sessionSlotKey(req.tenantId), id);
      throw e;
    }
  }

  private async close(
    tenantId: string,
    sessionId: string,
    end: z.output<typeof endSchema>,
  ): Promise<SessionRecord> {
    const now = this.clock.now();
    const artifacts = await this.recordedArtifacts(tenantId, sessionId);
    const closed = await this.archive.closeRecord(tenantId, sessionId, { ...end, endedAt: now, artifacts });
    const record = closed ?? (await this.archive.get(tenantId, sessionId));
    if (!record) throw notFound('session', sessionId);
    await this.live.delete(tenantId, sessionId);
    await this.rateLimits.releaseSlot(sessionSlotKey(tenantId), sessionId);
    if (closed) {
      const type = end.status === 'interrupted' ? 'session.interrupted' : 'session.ended';
      await recordSessionEvent(this.eventDeps(), type, tenantId, sessionId, now, { status: end.status });
    }
    return record;
  }

  /**
   * Recordings by name, read from the artifact store (works whichever process recorded
   * them). Private, and a plain Promise like `close` that calls it: both run inside a public
   * method's ResultAsync (`end`, the sweeper), which turns a throw into the err.
   */
  private async recordedArtifacts(tenantId: string, sessionId: string): Promise<Record<string, string>> {
    const prefix = sessionPrefix(tenantId, sessionId);
    const out: Record<string, string> = {};
    let cursor: string | null = null;
    do {
      const page = await this.artifacts.list(prefix, { limit: 1000, cursor });
      for (const item of page.items) out[item.key.slice(prefix.length)] = item.uri;
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  private eventDeps() {
    return { jobStore: this.jobStore, publisher: this.publisher, logger: this.logger };
  }
}

/** Options of a renewal (keepalive, update): the TTL for this renewal only. */

/** A session's slot outlives its live state by one TTL, so a keepalive that is due always finds it. */
const slotTtl = (sessionTtlMs: number): number => sessionTtlMs * 2;

const pickVersion = (o: { expectedVersion?: number }) =>
  o.expectedVersion === undefined ? {} : { expectedVersion: o.expectedVersion };
