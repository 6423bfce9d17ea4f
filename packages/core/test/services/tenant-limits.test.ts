/**
 * Tenant limits are validated at creation (and on update) by the same schema the rate-limit
 * checks use: a tenant that could be created can always be checked, so no accepted tenant
 * turns every one of its requests into VALIDATION_FAILED.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimitPolicy } from '../../src/domain/rate-limit.js';
import { harness } from './harness.js';

const policies: { name: string; policy: Record<string, unknown> }[] = [
  { name: 'gcra burst 0', policy: { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 0 } },
  { name: 'gcra burst negative', policy: { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: -1 } },
  {
    name: 'fixed limit × window overflows',
    policy: { algorithm: 'fixed', limit: 2 ** 30, windowMs: 2 ** 30 },
  },
  {
    name: 'sliding limit × window overflows',
    policy: { algorithm: 'sliding', limit: 2 ** 26, windowMs: 2 ** 27 },
  },
  {
    name: 'gcra burst × window overflows',
    policy: { algorithm: 'gcra', limit: 1, windowMs: 2 ** 30, burst: 2 ** 30 },
  },
  { name: 'limit 0', policy: { algorithm: 'fixed', limit: 0, windowMs: 1000 } },
  { name: 'fractional window', policy: { algorithm: 'sliding', limit: 1, windowMs: 1.5 } },
  { name: 'gcra valid', policy: { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 1 } },
  { name: 'fixed valid, large', policy: { algorithm: 'fixed', limit: 2 ** 20, windowMs: 2 ** 20 } },
];

describe('tenant limits: one schema, one validator', () => {
  it.each(policies)('$name: create refuses it, or every check under it works', async ({ policy }) => {
    const h = await harness();
    for (const field of ['requests', 'requestsPerKey'] as const) {
      const created = await h.dalston.tenants.create({
        name: 'T',
        limits: { [field]: policy as RateLimitPolicy },
      });
      const checked = await h.dalston.rateLimits.check(policy as RateLimitPolicy, `k-${field}`);
      expect(created.isOk()).toBe(checked.isOk());
      if (created.isErr()) {
        expect(created.error.code).toBe('VALIDATION_FAILED');
        expect(created.error.field).toMatch(new RegExp(`^limits\\.${field}`));
        const updated = await h.dalston.tenants.updateLimits(h.tenantId, {
          [field]: policy as RateLimitPolicy,
        });
        expect(updated._unsafeUnwrapErr().code).toBe('VALIDATION_FAILED');
      }
    }
  });

  it('names the offending field of a GCRA burst of 0', async () => {
    const h = await harness();
    const r = await h.dalston.tenants.create({
      name: 'T',
      limits: { requests: { algorithm: 'gcra', limit: 5, windowMs: 1000, burst: 0 } },
    });
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limits.requests.burst' });
  });
});
