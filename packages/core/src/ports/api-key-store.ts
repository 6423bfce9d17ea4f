/**
 * ApiKeyStore: durable API key records (hash and prefix only; the raw key is never
 * stored). Verification (hashing, constant-time compare, expiry, revocation) is core's.
 * Failures reject with STORE_UNAVAILABLE (`store: 'apiKeyStore'`). Times: epoch ms.
 */
import type { ApiKeyRecord } from '../domain/api-key.js';
import type { PortLifecycle } from './lifecycle.js';

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface ApiKeyStore extends PortLifecycle {
  /** Stores a new key record. Rejects with CONFLICT when the id or the prefix exists. */
  create(record: ApiKeyRecord): Promise<ApiKeyRecord>;
  /** The record with this prefix (any tenant), or null. */
  findByPrefix(prefix: string): Promise<ApiKeyRecord | null>;
  /** The tenant's key, or null (another tenant's key is null too). */
  get(tenantId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /** The tenant's keys, newest first. */
  list(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Sets revokedAt if not yet revoked. Returns the record, or null when unknown. Idempotent. */
  revoke(tenantId: string, keyId: string, at: number): Promise<ApiKeyRecord | null>;
  /**
   * Sets lastUsedAt = at only when it is null or older than `at - minIntervalMs`
   * (throttled writes). Returns true when it wrote.
   */
  touchLastUsed(keyId: string, at: number, minIntervalMs: number): Promise<boolean>;
}
