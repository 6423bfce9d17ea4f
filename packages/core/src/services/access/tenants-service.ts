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

const listSchema = z
  .strictObject({
    limit: z.int().min(1).max(1000).default(100),
    cursor: z.string().regex(ID_PATTERN, 'must be a tenant id from a previous page').nullable().optional(),
  })
  .default({ limit: 100 });

/** A page of tenants by id; `nextCursor` is null once a page comes back short. */
export interface TenantPage {
  tenants: Tenant[];
  nextCursor: string | null;
}

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

  /** A page of tenants ordered by id (`limit` 1..1000, default 100), after `cursor`. */
  list(options: { limit?: number; cursor?: string | null } = {}): ResultAsync<TenantPage, DalstonError> {
    const parsed = parseInput(listSchema, options, 'options');
    if (parsed.isErr()) return errAsync(parsed.error);
    const { limit, cursor } = parsed.value;
    // A full page may be followed by an empty one: the cursor is the last id shown.
    return attempt(() => this.store.list(limit, cursor ?? undefined)).map((tenants) => ({
      tenants,
      nextCursor: tenants.length === limit ? (tenants.at(-1)?.id ?? null) : null,
    }));
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
