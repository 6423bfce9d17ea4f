/** Admission check shared by services that create work for a tenant, with a short per-engine cache. */
import type { DalstonConfig } from '../../config.js';
import { DalstonError, notFound } from '../../domain/errors.js';
import type { Tenant } from '../../domain/tenant.js';
import type { Clock } from '../../ports/clock.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import { TOKENS } from '../../tokens.js';

/** The tenant when it exists and is enabled; NOT_FOUND or FORBIDDEN otherwise (thrown). */
export async function activeTenant(tenantStore: TenantStore, tenantId: string): Promise<Tenant> {
  return checkActive(await tenantStore.get(tenantId), tenantId);
}

function checkActive(tenant: Tenant | null, tenantId: string): Tenant {
  if (!tenant) throw notFound('tenant', tenantId);
  if (tenant.disabled) throw new DalstonError('FORBIDDEN', `tenant ${tenantId} is disabled`);
  return tenant;
}

/** Entries kept at most; the cache is cleared when it would grow past this. */
const MAX_ENTRIES = 10_000;

/**
 * Tenants read by this engine, kept for `config.tenantCacheMs` of engine-clock time (0
 * disables), so a burst of submits reads the tenant once. Only found tenants are kept (a
 * tenant created elsewhere is seen at once). This engine's own `tenants.updateLimits`,
 * `tenants.disable` and `tenants.create` invalidate the entry; a change made by another
 * engine instance is seen after at most `tenantCacheMs`.
 */
export class TenantCache {
  static readonly inject = [TOKENS.tenantStore, TOKENS.clock, TOKENS.config] as const;

  private readonly entries = new Map<string, { tenant: Tenant; expiresAt: number }>();

  constructor(
    private readonly store: TenantStore,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
  ) {}

  /** Like `activeTenant`, from the cache when fresh. Throws NOT_FOUND or FORBIDDEN; rejects when the store does. */
  async active(tenantId: string): Promise<Tenant> {
    const ttl = this.config.tenantCacheMs;
    if (ttl === 0) return activeTenant(this.store, tenantId);
    const now = this.clock.now();
    const hit = this.entries.get(tenantId);
    if (hit && hit.expiresAt > now) return checkActive(hit.tenant, tenantId);
    const tenant = await this.store.get(tenantId);
    if (tenant) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(tenantId, { tenant, expiresAt: now + ttl });
    } else {
      this.entries.delete(tenantId);
    }
    return checkActive(tenant, tenantId);
  }

  /** Forgets the tenant (after this engine changed it). Idempotent. */
  invalidate(tenantId: string): void {
    this.entries.delete(tenantId);
  }
}
