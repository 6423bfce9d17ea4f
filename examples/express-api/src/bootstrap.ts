/**
 * First start: a tenant and an admin API key. The raw key is returned once (only its
 * hash is stored); the caller prints it.
 */
import type { Dalston } from '@dalston/core';
import { unwrap } from './problem.js';

export interface Bootstrapped {
  tenantId: string;
  adminKey: string;
}

/** Creates the tenant unless it exists, then a new admin key for it. */
export async function bootstrapTenant(
  dalston: Dalston,
  tenantId: string,
  name = 'Demo',
): Promise<Bootstrapped> {
  const existing = await dalston.tenants.get(tenantId);
  if (existing.isErr()) {
    if (existing.error.code !== 'NOT_FOUND') throw existing.error;
    await unwrap(dalston.tenants.create({ id: tenantId, name }));
  }
  const created = await unwrap(
    dalston.apiKeys.create({ tenantId, name: 'bootstrap admin', scopes: ['admin'] }),
  );
  return { tenantId, adminKey: created.key };
}
