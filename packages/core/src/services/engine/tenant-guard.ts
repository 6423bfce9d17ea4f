/** Admission check shared by services that create work for a tenant. */
import { DalstonError, notFound } from '../../domain/errors.js';
import type { Tenant } from '../../domain/tenant.js';
import type { TenantStore } from '../../ports/tenant-store.js';

/** The tenant when it exists and is enabled; NOT_FOUND or FORBIDDEN otherwise (thrown). */
export async function activeTenant(tenantStore: TenantStore, tenantId: string): Promise<Tenant> {
  const tenant = await tenantStore.get(tenantId);
  if (!tenant) throw notFound('tenant', tenantId);
  if (tenant.disabled) throw new DalstonError('FORBIDDEN', `tenant ${tenantId} is disabled`);
  return tenant;
}
