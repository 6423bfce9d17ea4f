/**
 * MemoryTenantStore: tenants in one process, with the PostgreSQL adapter's semantics
 * (CONFLICT on a duplicate id, id-ordered keyset listing, deep copies in and out).
 */
import type { Tenant, TenantLimits, TenantStore } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { conflict, OpenState } from './store-errors.js';
import { compareText } from './text-order.js';

export class MemoryTenantStore implements TenantStore {
  private readonly state = new OpenState('tenantStore');
  private readonly tenants = new Map<string, Tenant>();

  async create(tenant: Tenant): Promise<Tenant> {
    this.state.check('create');
    if (this.tenants.has(tenant.id))
      throw conflict('tenantStore', 'create', `tenant ${tenant.id} already exists`);
    this.tenants.set(tenant.id, copy(tenant));
    return copy(tenant);
  }

  async get(tenantId: string): Promise<Tenant | null> {
    this.state.check('get');
    const tenant = this.tenants.get(tenantId);
    return tenant ? copy(tenant) : null;
  }

  async updateLimits(tenantId: string, limits: TenantLimits): Promise<Tenant | null> {
    this.state.check('updateLimits');
    return this.replace(tenantId, (t) => ({ ...t, limits: copy(limits) }));
  }

  async setDisabled(tenantId: string, disabled: boolean): Promise<Tenant | null> {
    this.state.check('setDisabled');
    return this.replace(tenantId, (t) => ({ ...t, disabled }));
  }

  async list(limit: number, afterId?: string): Promise<Tenant[]> {
    this.state.check('list');
    return [...this.tenants.values()]
      .filter((t) => afterId === undefined || compareText(t.id, afterId) > 0)
      .sort((a, b) => compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async ping(): Promise<void> {
    this.state.check('ping');
  }

  async close(): Promise<void> {
    this.state.close();
  }

  private replace(tenantId: string, update: (t: Tenant) => Tenant): Tenant | null {
    const tenant = this.tenants.get(tenantId);
    if (!tenant) return null;
    const next = update(tenant);
    this.tenants.set(tenantId, next);
    return copy(next);
  }
}
