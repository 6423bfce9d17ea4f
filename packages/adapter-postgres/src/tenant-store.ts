/** PostgresTenantStore: tenants and their limit overrides (`{schema}.tenants`). */
import type { Tenant, TenantLimits, TenantStore } from '@dalston/core/adapter';
import { Database } from './database.js';
import type { PostgresAdapterOptions } from './options.js';
import { bool, type Ctx, canMatch, json, key, ms, msCol, num, text } from './values.js';

const ctx = (operation: string): Ctx => ({ store: 'tenantStore', operation });
const COLUMNS = `id, name, limits, disabled, ${msCol('created_at')}`;

const rowToTenant = (r: Record<string, unknown>): Tenant => ({
  id: r.id as string,
  name: r.name as string,
  limits: r.limits as TenantLimits,
  disabled: r.disabled as boolean,
  createdAt: num(r.created_at)!,
});

export class PostgresTenantStore implements TenantStore {
  private readonly db: Database;

  constructor(
    options: PostgresAdapterOptions | Database,
    private readonly ownsDb = !(options instanceof Database),
  ) {
    this.db = options instanceof Database ? options.view() : new Database(options);
  }

  async create(tenant: Tenant): Promise<Tenant> {
    const c = ctx('create');
    const values = [
      key(c, 'tenant.id', tenant.id),
      text(c, 'tenant.name', tenant.name),
      json(c, 'tenant.limits', tenant.limits),
      bool(c, 'tenant.disabled', tenant.disabled),
      ms(c, 'tenant.createdAt', tenant.createdAt),
    ];
    const { rows } = await this.db.query(
      'tenantStore',
      'create',
      `INSERT INTO ${this.db.t('tenants')} (id, name, limits, disabled, created_at)
       VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz) RETURNING ${COLUMNS}`,
      values,
    );
    return rowToTenant(rows[0]!);
  }

  async get(tenantId: string): Promise<Tenant | null> {
    if (!canMatch(tenantId)) return null;
    const { rows } = await this.db.query(
      'tenantStore',
      'get',
      `SELECT ${COLUMNS} FROM ${this.db.t('tenants')} WHERE id = $1`,
      [tenantId],
    );
    return rows[0] ? rowToTenant(rows[0]) : null;
  }

  async updateLimits(tenantId: string, limits: TenantLimits): Promise<Tenant | null> {
    const value = json(ctx('updateLimits'), 'limits', limits);
    if (!canMatch(tenantId)) return null;
    const { rows } = await this.db.query(
      'tenantStore',
      'updateLimits',
      `UPDATE ${this.db.t('tenants')} SET limits = $2::jsonb WHERE id = $1 RETURNING ${COLUMNS}`,
      [tenantId, value],
    );
    return rows[0] ? rowToTenant(rows[0]) : null;
  }

  async setDisabled(tenantId: string, disabled: boolean): Promise<Tenant | null> {
    const value = bool(ctx('setDisabled'), 'disabled', disabled);
    if (!canMatch(tenantId)) return null;
    const { rows } = await this.db.query(
      'tenantStore',
      'setDisabled',
      `UPDATE ${this.db.t('tenants')} SET disabled = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [tenantId, value],
    );
    return rows[0] ? rowToTenant(rows[0]) : null;
  }

  async list(max: number, afterId?: string): Promise<Tenant[]> {
    const { rows } = await this.db.query(
      'tenantStore',
      'list',
      `SELECT ${COLUMNS} FROM ${this.db.t('tenants')}
       WHERE ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $1`,
      [max, afterId ?? null],
    );
    return rows.map(rowToTenant);
  }

  async ping(): Promise<void> {
    await this.db.ping('tenantStore');
  }

  /** Later calls reject CLOSED; ends the pool only when this store created it. */
  async close(): Promise<void> {
    await this.db.closeStore(this.ownsDb);
  }
}
