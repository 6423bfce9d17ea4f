/** tenants: create, read, change limits, disable. */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { ID_PATTERN } from '../../domain/artifact-key.js';
import { type DalstonError, notFound } from '../../domain/errors.js';
import { storableString, tenantLimitsSchema } from '../../domain/schemas.js';
import type { Tenant, TenantLimits } from '../../domain/tenant.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';
import { TenantCache } from './tenant-guard.js';

/** The tenant limits schema (defined once in domain/schemas.ts). */
export { tenantLimitsSchema };

const createSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN, 'must be 1..64 characters of [A-Za-z0-9_-]').optional(),
  name: storableString().min(1).max(200),
  limits: tenantLimitsSchema.default({}),
});

const idSchema = z.string().min(1).max(64);

export class TenantsService {
  static readonly inject = [TOKENS.tenantStore, TOKENS.clock, TOKENS.ids, TenantCache] as const;

  constructor(
    private readonly store: TenantStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly cache: TenantCache,
  ) {}

  create(input: { id?: string; name: string; limits?: TenantLimits }): ResultAsync<Tenant, DalstonError> {
    const parsed = parseInput(createSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const { id, name, limits } = parsed.value;
    const tenant: Tenant = {
      id: id ?? this.ids.next('ten'),
      name,
      limits,
      disabled: false,
      createdAt: this.clock.now(),
    };
    this.cache.invalidate(tenant.id);
    return attempt(() => this.store.create(tenant));
  }

  get(tenantId: string): ResultAsync<Tenant, DalstonError> {
    const parsed = parseInput(idSchema, tenantId, 'tenantId');
    if (parsed.isErr()) return errAsync(parsed.error);
    return attempt(() => this.store.get(tenantId)).andThen(found(tenantId));
  }

  /** Replaces the tenant's limit overrides. */
  updateLimits(tenantId: string, limits: TenantLimits): ResultAsync<Tenant, DalstonError> {
    const parsed = parseInput(tenantLimitsSchema, limits, 'limits');
    if (parsed.isErr()) return errAsync(parsed.error);
    this.cache.invalidate(tenantId);
    return attempt(() => this.store.updateLimits(tenantId, parsed.value))
      .andThen(found(tenantId))
      .andTee(() => this.cache.invalidate(tenantId));
  }

  /** Disables (or re-enables) the tenant: a disabled tenant's submits and sessions are FORBIDDEN. */
  disable(tenantId: string, disabled = true): ResultAsync<Tenant, DalstonError> {
    const parsed = parseInput(z.boolean(), disabled, 'disabled');
    if (parsed.isErr()) return errAsync(parsed.error);
    this.cache.invalidate(tenantId);
    return attempt(() => this.store.setDisabled(tenantId, disabled))
      .andThen(found(tenantId))
      .andTee(() => this.cache.invalidate(tenantId));
  }
}

const found =
  (tenantId: string) =>
  (t: Tenant | null): ResultAsync<Tenant, DalstonError> =>
    t ? okAsync(t) : errAsync(notFound('tenant', tenantId));
