/**
 * apiKeys: create (the raw key is returned once), verify, list, revoke. Only the
 * SHA-256 hash and a short prefix are stored. Verification is constant-time on the
 * hash, and every failure (malformed, unknown, wrong, revoked, expired) is the same
 * generic UNAUTHORIZED, so a caller learns nothing about which keys exist.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import {
  API_KEY_SCOPES,
  type ApiKeyRecord,
  type ApiKeyScope,
  generateApiKey,
  hashApiKey,
  parseApiKey,
  verifyApiKey,
} from '../../domain/api-key.js';
import { DalstonError, notFound, safeMessage } from '../../domain/errors.js';
import { storableString } from '../../domain/schemas.js';
import type { ApiKeyStore } from '../../ports/api-key-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { Logger } from '../../ports/logger.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';

/** A key record as shown to callers: never the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

export interface VerifiedKey {
  tenantId: string;
  keyId: string;
  scopes: ApiKeyScope[];
}

const createSchema = z.strictObject({
  tenantId: storableString().min(1).max(64),
  name: storableString().min(1).max(200),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
  expiresAt: z.number().int().nullable().optional(),
});

const unauthorized = () => new DalstonError('UNAUTHORIZED', 'invalid API key');
const info = ({ hash: _hash, ...rest }: ApiKeyRecord): ApiKeyInfo => rest;

/** A record no real key matches: verification of an unknown prefix still hashes and compares. */
const DECOY: ApiKeyRecord = {
  id: 'decoy',
  tenantId: 'decoy',
  name: 'decoy',
  prefix: '00000000',
  hash: '0'.repeat(64),
  scopes: [],
  createdAt: 0,
  expiresAt: null,
  revokedAt: null,
  lastUsedAt: null,
};

export class ApiKeysService {
  static readonly inject = [
    TOKENS.apiKeyStore,
    TOKENS.tenantStore,
    TOKENS.clock,
    TOKENS.ids,
    TOKENS.config,
    TOKENS.logger,
  ] as const;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
  ) {}

  /** Creates a key. `key` is the raw key: show it once, it cannot be read again. */
  create(input: {
    tenantId: string;
    name: string;
    scopes: ApiKeyScope[];
    expiresAt?: number | null;
  }): ResultAsync<{ key: string; record: ApiKeyInfo }, DalstonError> {
    const parsed = parseInput(createSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const req = parsed.value;
    return attempt(() => this.tenants.get(req.tenantId))
      .andThen((t) => (t ? okAsync(t) : errAsync(notFound('tenant', req.tenantId))))
      .andThen(() => {
        const { key, prefix } = generateApiKey();
        const record: ApiKeyRecord = {
          id: this.ids.next('key'),
          tenantId: req.tenantId,
          name: req.name,
          prefix,
          hash: hashApiKey(key),
          scopes: [...new Set(req.scopes)],
          createdAt: this.clock.now(),
          expiresAt: req.expiresAt ?? null,
          revokedAt: null,
          lastUsedAt: null,
        };
        return attempt(() => this.store.create(record)).map((stored) => ({ key, record: info(stored) }));
      });
  }

  /** The tenant and scopes of a valid key; UNAUTHORIZED (generic) otherwise. */
  verify(rawKey: string): ResultAsync<VerifiedKey, DalstonError> {
    const parsed = typeof rawKey === 'string' ? parseApiKey(rawKey) : null;
    if (!parsed) {
      verifyApiKey(rawKey, DECOY, 0);
      return errAsync(unauthorized());
    }
    return attempt(() => this.store.findByPrefix(parsed.prefix)).andThen((record) => {
      const now = this.clock.now();
      const result = verifyApiKey(rawKey, record ?? DECOY, now);
      if (!record || !result.ok) return errAsync(unauthorized());
      this.touch(record, now);
      return okAsync({ tenantId: record.tenantId, keyId: record.id, scopes: record.scopes });
    });
  }

  list(tenantId: string): ResultAsync<ApiKeyInfo[], DalstonError> {
    return attempt(() => this.store.list(tenantId)).map((records) => records.map(info));
  }

  /** Revokes the key (idempotent). NOT_FOUND for an unknown key or another tenant's. */
  revoke(tenantId: string, keyId: string): ResultAsync<ApiKeyInfo, DalstonError> {
    return attempt(() => this.store.revoke(tenantId, keyId, this.clock.now())).andThen((r) =>
      r ? okAsync(info(r)) : errAsync(notFound('API key', keyId)),
    );
  }

  /** Throttled lastUsedAt, off the request path. */
  private touch(record: ApiKeyRecord, now: number): void {
    const throttle = this.config.lastUsedThrottleMs;
    if (record.lastUsedAt !== null && record.lastUsedAt > now - throttle) return;
    this.store
      .touchLastUsed(record.id, now, throttle)
      .catch((e) => this.logger.warn('lastUsedAt not recorded', { keyId: record.id, error: safeMessage(e) }));
  }
}
