/**
 * Request-rate limits per API key and per tenant, checked by `rateLimits.check` (one
 * atomic round trip each). Every response carries the IETF draft headers
 * (draft-ietf-httpapi-ratelimit-headers):
 *
 *   RateLimit-Policy: "key";q=600;w=60, "tenant";q=1200;w=60
 *   RateLimit: "key";r=599;t=60, "tenant";r=1187;t=42
 *
 * and a denied request gets 429 with `Retry-After` (seconds). The key is checked first,
 * so a key over its own limit does not spend the tenant's budget.
 */
import type { CheckOutcome, Dalston, RateLimitPolicy } from '@dalston/core';
import { DalstonError } from '@dalston/core';
import type { RequestHandler } from 'express';
import type { AppOptions } from '../config.js';
import { authOf } from '../request-context.js';

interface Checked {
  name: 'key' | 'tenant';
  policy: RateLimitPolicy;
  outcome: CheckOutcome;
}

export function rateLimit(dalston: Dalston, options: AppOptions): RequestHandler {
  return async (req, res, next) => {
    const { tenantId, keyId } = authOf(req);
    const tenant = await dalston.tenants.get(tenantId);
    if (tenant.isErr()) throw tenant.error;
    const policies = {
      key: tenant.value.limits.requestsPerKey ?? options.keyRequests,
      tenant: tenant.value.limits.requests ?? options.tenantRequests,
    };
    res.setHeader(
      'RateLimit-Policy',
      `${policyItem('key', policies.key)}, ${policyItem('tenant', policies.tenant)}`,
    );
    const checked: Checked[] = [];
    for (const [name, key] of [
      ['key', `http:key:${keyId}`],
      ['tenant', `http:tenant:${tenantId}`],
    ] as const) {
      const outcome = await dalston.rateLimits.check(policies[name], key);
      if (outcome.isErr()) throw outcome.error;
      checked.push({ name, policy: policies[name], outcome: outcome.value });
      if (!outcome.value.allowed) break;
    }
    const now = Date.now();
    res.setHeader('RateLimit', checked.map((c) => limitItem(c, now)).join(', '));
    const denied = checked.find((c) => !c.outcome.allowed);
    if (denied) {
      throw new DalstonError(
        'RATE_LIMITED',
        `the ${denied.name === 'key' ? 'API key' : 'tenant'} request rate limit is exceeded`,
        {
          retryAfterMs: Math.max(1, denied.outcome.retryAfterMs),
        },
      );
    }
    next();
  };
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

function policyItem(name: string, p: RateLimitPolicy): string {
  return `"${name}";q=${p.limit};w=${seconds(p.windowMs)}`;
}

function limitItem(c: Checked, now: number): string {
  return `"${c.name}";r=${Math.max(0, c.outcome.remaining)};t=${seconds(c.outcome.resetAt - now)}`;
}
