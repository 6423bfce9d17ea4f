/**
 * MemoryApiKeyStore: API key records in one process, with the PostgreSQL adapter's
 * semantics (unique id and prefix, tenant-scoped reads, idempotent revoke, throttled
 * lastUsedAt writes, deep copies in and out).
 */
import type { ApiKeyRecord, ApiKeyStore } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { conflict, OpenState } from './store-errors.js';
import { compareText } from './text-order.js';

export class MemoryApiKeyStore implements ApiKeyStore {
  private readonly state = new OpenState('apiKeyStore');
  private readonly keys = new Map<string, ApiKeyRecord>();
  private readonly byPrefix = new Map<string, string>();

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    this.state.check('create');
    if (this.keys.has(record.id))
      throw conflict('apiKeyStore', 'create', `API key ${record.id} already exists`);
    if (this.byPrefix.has(record.prefix)) {
      throw conflict('apiKeyStore', 'create', 'an API key with this prefix already exists');
    }
    this.keys.set(record.id, copy(record));
    this.byPrefix.set(record.prefix, record.id);
    return copy(record);
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    this.state.check('findByPrefix');
    const id = this.byPrefix.get(prefix);
    return id === undefined ? null : copy(this.keys.get(id)!);
  }

  async get(tenantId: string, keyId: string): Promise<ApiKeyRecord | null> {
    this.state.check('get');
    const record = this.owned(tenantId, keyId);
    return record ? copy(record) : null;
  }

  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    this.state.check('list');
    return [...this.keys.values()]
      .filter((k) => k.tenantId === tenantId)
      .sort((a, b) => b.createdAt - a.createdAt || compareText(b.id, a.id))
      .map(copy);
  }

  async revoke(tenantId: string, keyId: string, at: number): Promise<ApiKeyRecord | null> {
    this.state.check('revoke');
    const record = this.owned(tenantId, keyId);
    if (!record) return null;
    if (record.revokedAt === null) record.revokedAt = at;
    return copy(record);
  }

  async touchLastUsed(keyId: string, at: number, minIntervalMs: number): Promise<boolean> {
    this.state.check('touchLastUsed');
    const record = this.keys.get(keyId);
    if (!record) return false;
    if (record.lastUsedAt !== null && record.lastUsedAt >= at - minIntervalMs) return false;
    record.lastUsedAt = at;
    return true;
  }

  async ping(): Promise<void> {
    this.state.check('ping');
  }

  async close(): Promise<void> {
    this.state.close();
  }

  private owned(tenantId: string, keyId: string): ApiKeyRecord | undefined {
    const record = this.keys.get(keyId);
    return record && record.tenantId === tenantId ? record : undefined;
  }
}
