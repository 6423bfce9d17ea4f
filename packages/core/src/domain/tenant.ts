import type { RateLimitPolicy } from './rate-limit.js';

/** Per-tenant overrides of the engine's default limits. Absent = use the default. */
export interface TenantLimits {
  /** Requests per window for the tenant as a whole. */
  requests?: RateLimitPolicy;
  /** Requests per window for each API key of the tenant. */
  requestsPerKey?: RateLimitPolicy;
  /** Jobs that may be non-terminal at once. */
  concurrentJobs?: number;
  /** Live sessions at once. */
  concurrentSessions?: number;
}

export interface Tenant {
  id: string;
  name: string;
  limits: TenantLimits;
  disabled: boolean;
  createdAt: number;
}
