/**
 * rateLimits: request-rate checks and concurrency slots over the RateLimitStore, with
 * the per-limit failure policy. A limit that is hit is a value (`allowed: false`);
 * only an unreachable store under `fail-closed` (or bad input) is an error.
 */
import { errAsync, Result, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { type DalstonError, toDalstonError } from '../../domain/errors.js';
import type {
  FailurePolicy,
  RateLimitDecision,
  RateLimitPolicy,
  SlotDecision,
} from '../../domain/rate-limit.js';
import { validateCost, validateRateLimitPolicy } from '../../domain/rate-limit-algorithms.js';
import { rateLimitPolicySchema, storableString } from '../../domain/schemas.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { FallbackLimiter } from './fallback-limiter.js';

export interface CheckOptions {
  /** Overrides the engine's default failure policy for this check. */
  failure?: FailurePolicy;
  cost?: number;
}

/** A slot decision; `degraded` when the fallback limiter decided because the store was down. */
export type SlotOutcome = SlotDecision & { degraded?: boolean };
export type CheckOutcome = RateLimitDecision & { degraded?: boolean };

/** Keys every store keeps as given (Redis would turn a lone surrogate into U+FFFD, merging keys). */
const keySchema = storableString().min(1).max(512);
const failureSchema = z.enum(['fail-open', 'fail-closed']).optional();
/** Built once: a zod schema costs far more to build than to run (acquireSlot is on every submit). */
const slotLimitSchema = z.int().min(0);

export class RateLimitsService {
  private readonly fallback: FallbackLimiter;

  static readonly inject = [
    TOKENS.rateLimitStore,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    TOKENS.telemetry,
  ] as const;

  constructor(
    private readonly store: RateLimitStore,
    clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
  ) {
    this.fallback = new FallbackLimiter(clock);
  }

  /** Counts one request against `key`; `allowed: false` when the limit is hit. */
  check(
    policy: RateLimitPolicy,
    key: string,
    options: CheckOptions = {},
  ): ResultAsync<CheckOutcome, DalstonError> {
    const valid = parseInput(rateLimitPolicySchema, policy, 'policy')
      .andThen(() => parseInput(keySchema, key, 'key'))
      .andThen(() => parseInput(failureSchema, options.failure, 'failure'))
      .andThen(() =>
        Result.fromThrowable(
          () => {
            validateRateLimitPolicy(policy);
            validateCost(options.cost ?? 1);
          },
          (e) => toDalstonError(e),
        )(),
      );
    if (valid.isErr()) return errAsync(valid.error);
    const failure =
      options.failure ?? this.config.rateLimitFailure.requests ?? this.config.rateLimitFailure.default;
    return this.degradable(
      () => this.store.hit(key, policy, options.cost ?? 1),
      () => this.fallback.hit(key, policy, options.cost ?? 1),
      failure,
      'hit',
    ).map((outcome) => {
      if (!outcome.allowed) this.telemetry.countRateLimitDenial('requests');
      return outcome;
    });
  }

  /** Takes a slot for `holder` under `key` when fewer than `limit` holders exist. */
  acquireSlot(
    key: string,
    holder: string,
    limit: number,
    options: { ttlMs?: number; failure?: FailurePolicy } = {},
  ): ResultAsync<SlotOutcome, DalstonError> {
    const valid = parseInput(keySchema, key, 'key')
      .andThen(() => parseInput(keySchema, holder, 'holder'))
      .andThen(() => parseInput(slotLimitSchema, limit, 'limit'));
    if (valid.isErr()) return errAsync(valid.error);
    const ttlMs = options.ttlMs ?? this.config.slotTtlMs;
    const failure = options.failure ?? this.config.rateLimitFailure.default;
    return this.degradable(
      () => this.store.acquireSlot(key, holder, limit, ttlMs),
      () => this.fallback.acquireSlot(key, holder, limit, ttlMs),
      failure,
      'acquireSlot',
    ).map((slot) => {
      if (!slot.acquired) this.telemetry.countRateLimitDenial('slots');
      return slot;
    });
  }

  /** Gives the slot back (idempotent). */
  releaseSlot(key: string, holder: string): ResultAsync<boolean, DalstonError> {
    this.fallback.releaseSlot(key, holder);
    return attempt(() => this.store.releaseSlot(key, holder));
  }

  /** Renews the holder's TTL; false when it holds no slot. */
  refreshSlot(
    key: string,
    holder: string,
    ttlMs = this.config.slotTtlMs,
  ): ResultAsync<boolean, DalstonError> {
    this.fallback.refreshSlot(key, holder, ttlMs);
    return attempt(() => this.store.refreshSlot(key, holder, ttlMs));
  }

  private degradable<T extends object>(
    primary: () => Promise<T>,
    fallback: () => T,
    failure: FailurePolicy,
    operation: string,
  ): ResultAsync<T & { degraded?: boolean }, DalstonError> {
    return attempt(primary).orElse((e) => {
      if (e.code !== 'STORE_UNAVAILABLE' || failure === 'fail-closed') return errAsync(e);
      this.logger.warn('rate-limit store unavailable; fail-open fallback limiter decides', { operation });
      return attemptSync(fallback).map((v) => ({ ...v, degraded: true }));
    });
  }
}

function attemptSync<T>(fn: () => T): ResultAsync<T, DalstonError> {
  return attempt(async () => fn());
}
