/**
 * RateLimitStore rules. `hit` is the hot path of every admission check: the policy is
 * validated once per policy object (`RateLimitPolicyCheck` remembers the fields it passed
 * with), the rest are plain comparisons.
 */
import { isDalstonError } from '../../domain/errors.js';
import type { RateLimitPolicy } from '../../domain/rate-limit.js';
import { RateLimitPolicyCheck, validateCost } from '../../domain/rate-limit-algorithms.js';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import { array, nonEmptyString, nonNegativeInt, object, positiveInt, string } from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

const policies = new RateLimitPolicyCheck();

/** Core's policy and cost rules (domain/rate-limit-algorithms.ts), restated as argument errors. */
function checkPolicy(policy: unknown, cost: unknown): void {
  try {
    policies.validate(policy as RateLimitPolicy);
    if (cost !== undefined) validateCost(cost as number);
  } catch (e) {
    if (!isDalstonError(e)) throw e;
    const field = e.field ?? 'policy';
    throw argumentError(
      field,
      e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message,
    );
  }
}

export const rateLimitStoreRules: PortRules<RateLimitStore> = {
  hit: {
    check: ([key, policy, cost]) => {
      nonEmptyString(key, 'key');
      checkPolicy(policy, cost);
    },
  },
  acquireSlot: {
    check: ([key, holder, limit, ttlMs]) => {
      nonEmptyString(key, 'key');
      nonEmptyString(holder, 'holder');
      positiveInt(limit, 'limit');
      positiveInt(ttlMs, 'ttlMs');
    },
  },
  // An unknown (or empty) key or holder holds no slot: a miss, not an error.
  releaseSlot: {
    check: ([key, holder]) => {
      string(key, 'key');
      string(holder, 'holder');
    },
  },
  refreshSlot: {
    check: ([key, holder, ttlMs]) => {
      string(key, 'key');
      string(holder, 'holder');
      positiveInt(ttlMs, 'ttlMs');
    },
  },
  holders: { check: ([key]) => string(key, 'key') },
  reconcileSlots: {
    check: ([key, present, options]) => {
      nonEmptyString(key, 'key');
      array(present, 'present', 'holder ids');
      for (const [i, h] of present.entries()) nonEmptyString(h, `present[${i}]`);
      object(options, 'options', '{ ttlMs, graceMs }');
      positiveInt(options.ttlMs, 'ttlMs');
      nonNegativeInt(options.graceMs, 'graceMs');
    },
  },
  ping: {},
  close: {},
};
