/**
 * TenantStore: durable tenants and their limit overrides (PostgreSQL in production).
 * Leaves out authentication (ApiKeyStore) and limit enforcement (RateLimitStore).
 * Failures reject with STORE_UNAVAILABLE (`store: 'tenantStore'`). Times: epoch ms.
 */
import type { Tenant, TenantLimits } from '../domain/tenant.js';
import type { PortLifecycle } from './lifecycle.js';

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface TenantStore extends PortLifecycle {
  /** Creates a tenant. Rejects with CONFLICT when the id exists. */
  create(tenant: Tenant): Promise<Tenant>;
  /** The tenant, or null. */
  get(tenantId: string): Promise<Tenant | null>;
  /** Replaces the limit overrides. Returns the updated tenant, or null when unknown. */
  updateLimits(tenantId: string, limits: TenantLimits): Promise<Tenant | null>;
  /** Sets `disabled`. Returns the updated tenant, or null when unknown. Idempotent. */
  setDisabled(tenantId: string, disabled: boolean): Promise<Tenant | null>;
  /** Tenants ordered by id, after the cursor id. `limit` 1..1000. */
  list(limit: number, afterId?: string): Promise<Tenant[]>;
}
