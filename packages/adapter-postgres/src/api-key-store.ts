/** PostgresApiKeyStore: API key records, hash and prefix only (`{schema}.api_keys`). */
import type { ApiKeyRecord, ApiKeyStore } from '@dalston/core/adapter';
import { Database } from './database.js';
import type { PostgresAdapterOptions } from './options.js';
import { type Ctx, canMatch, key, ms, msCol, num, text } from './values.js';

const ctx = (operation: string): Ctx => ({ store: 'apiKeyStore', operation });
const COLUMNS = [
  'id',
  'tenant_id',
  'name',
  'prefix',
  'hash',
  'scopes',
  msCol('created_at'),
  msCol('expires_at'),
  msCol('revoked_at'),
  msCol('last_used_at'),
].join(', ');

const rowToKey = (r: Record<string, unknown>): ApiKeyRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  name: r.name as string,
  prefix: r.prefix as string,
  hash: r.hash as string,
  scopes: r.scopes as ApiKeyRecord['scopes'],
  createdAt: num(r.created_at)!,
  expiresAt: num(r.expires_at),
  revokedAt: num(r.revoked_at),
  lastUsedAt: num(r.last_used_at),
});

export class PostgresApiKeyStore implements ApiKeyStore {
  private readonly db: Database;

  constructor(
    options: PostgresAdapterOptions | Database,
    private readonly ownsDb = !(options instanceof Database),
  ) {
    this.db = options instanceof Database ? options.view() : new Database(options);
  }

  async create(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    const c = ctx('create');
    const values = [
      key(c, 'record.id', record.id),
      key(c, 'record.tenantId', record.tenantId),
      text(c, 'record.name', record.name),
      key(c, 'record.prefix', record.prefix),
      text(c, 'record.hash', record.hash),
      record.scopes.map((s, i) => text(c, `record.scopes.${i}`, s)),
      ms(c, 'record.createdAt', record.createdAt),
      ms(c, 'record.expiresAt', record.expiresAt, true),
      ms(c, 'record.revokedAt', record.revokedAt, true),
      ms(c, 'record.lastUsedAt', record.lastUsedAt, true),
    ];
    const { rows } = await this.db.query(
      'apiKeyStore',
      'create',
      `INSERT INTO ${this.db.t('api_keys')}
         (id, tenant_id, name, prefix, hash, scopes, created_at, expires_at, revoked_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::timestamptz)
       RETURNING ${COLUMNS}`,
      values,
    );
    return rowToKey(rows[0]!);
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    if (!canMatch(prefix)) return null;
    const { rows } = await this.db.query(
      'apiKeyStore',
      'findByPrefix',
      `SELECT ${COLUMNS} FROM ${this.db.t('api_keys')} WHERE prefix = $1`,
      [prefix],
    );
    return rows[0] ? rowToKey(rows[0]) : null;
  }

  async get(tenantId: string, keyId: string): Promise<ApiKeyRecord | null> {
    if (!canMatch(tenantId, keyId)) return null;
    const { rows } = await this.db.query(
      'apiKeyStore',
      'get',
      `SELECT ${COLUMNS} FROM ${this.db.t('api_keys')} WHERE id = $1 AND tenant_id = $2`,
      [keyId, tenantId],
    );
    return rows[0] ? rowToKey(rows[0]) : null;
  }

  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    if (!canMatch(tenantId)) return [];
    const { rows } = await this.db.query(
      'apiKeyStore',
      'list',
      `SELECT ${COLUMNS} FROM ${this.db.t('api_keys')} WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
      [tenantId],
    );
    return rows.map(rowToKey);
  }

  async revoke(tenantId: string, keyId: string, at: number): Promise<ApiKeyRecord | null> {
    if (!canMatch(tenantId, keyId)) return null;
    const { rows } = await this.db.query(
      'apiKeyStore',
      'revoke',
      `UPDATE ${this.db.t('api_keys')} SET revoked_at = coalesce(revoked_at, $3::timestamptz)
       WHERE id = $1 AND tenant_id = $2 RETURNING ${COLUMNS}`,
      [keyId, tenantId, ms(ctx('revoke'), 'at', at)],
    );
    return rows[0] ? rowToKey(rows[0]) : null;
  }

  async touchLastUsed(keyId: string, at: number, minIntervalMs: number): Promise<boolean> {
    const c = ctx('touchLastUsed');
    // Written only when never used or last used before at - minIntervalMs (throttled writes).
    const res = await this.db.query(
      'apiKeyStore',
      'touchLastUsed',
      `UPDATE ${this.db.t('api_keys')} SET last_used_at = $2::timestamptz
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3::timestamptz)`,
      [keyId, ms(c, 'at', at), ms(c, 'at - minIntervalMs', at - minIntervalMs)],
    );
    return res.rowCount === 1;
  }

  async ping(): Promise<void> {
    await this.db.ping('apiKeyStore');
  }

  /** Later calls reject CLOSED; ends the pool only when this store created it. */
  async close(): Promise<void> {
    await this.db.closeStore(this.ownsDb);
  }
}
