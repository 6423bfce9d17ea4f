/**
 * Engine configuration: parsed with zod, every field defaulted. Durations are
 * milliseconds. A bad value fails `createDalston` with VALIDATION_FAILED naming
 * `config.<field>`.
 */
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { DEFAULT_MAX_STORE_INTERRUPTIONS, DEFAULT_STORE_RETRY_BACKOFF } from './domain/change.js';
import { type DalstonError, validationFailed } from './domain/errors.js';
import type { FailurePolicy } from './domain/rate-limit.js';
import { backoffPolicySchema, NAME_PATTERN, rateLimitPolicySchema } from './domain/schemas.js';

const failurePolicy = z.enum(['fail-open', 'fail-closed']);
const positiveMs = z.int().min(1);

/** Which limit a failure policy applies to. */
export type LimitName = 'requests' | 'concurrentJobs' | 'concurrentSessions';

const failureSchema = z
  .union([
    failurePolicy,
    z.strictObject({
      default: failurePolicy.default('fail-closed'),
      requests: failurePolicy.optional(),
      concurrentJobs: failurePolicy.optional(),
      concurrentSessions: failurePolicy.optional(),
    }),
  ])
  .default('fail-closed')
  .transform((v) => (typeof v === 'string' ? { default: v } : v));

export const configSchema = z
  .strictObject({
    leaseMs: positiveMs.default(30_000),
    /** Default: leaseMs / 3. */
    heartbeatMs: positiveMs.optional(),
    /**
     * Folded starts: a handler that settles within this many ms has its start written in the
     * same transaction as its outcome (one store write per attempt instead of two); a handler
     * still running then (or reporting progress) has its start written at that moment. Capped
     * at `heartbeatMs`. 0 writes every start before its handler runs. See docs/architecture.md.
     */
    startWriteDelayMs: z.int().min(0).default(50),
    maxLostLeases: z.int().min(1).default(5),
    maxDeliveries: z.int().min(1).default(10),
    /**
     * Attempts a task may have cut short by an unavailable store (STORE_UNAVAILABLE through
     * `ctx.artifacts`) before it fails for good with STORE_UNAVAILABLE. Such attempts do not
     * spend `maxAttempts`; they share the `lostLeases` count with lost leases.
     */
    maxStoreInterruptions: z.int().min(1).default(DEFAULT_MAX_STORE_INTERRUPTIONS),
    /** Delay before re-running an attempt a store cut short (by interruption count). */
    storeRetryBackoff: backoffPolicySchema.default(DEFAULT_STORE_RETRY_BACKOFF),
    /**
     * How long the engine's own store calls around an attempt (recording its outcome,
     * progress) retry STORE_UNAVAILABLE, backing off from 50 ms to 2 s, before giving up
     * (an outcome not recorded leaves the message to be redelivered after its lease).
     */
    storeRetryBudgetMs: positiveMs.default(30_000),
    defaultRetentionDays: z.int().min(-1).default(30),
    limits: z
      .strictObject({
        concurrentJobs: z.int().min(0).default(100),
        concurrentSessions: z.int().min(0).default(100),
        requests: rateLimitPolicySchema.optional(),
      })
      .default({ concurrentJobs: 100, concurrentSessions: 100 }),
    /** What to do when the rate-limit store is unreachable: one policy, or a default with per-limit overrides. */
    rateLimitFailure: failureSchema,
    /** Queues the maintenance scans for dead letters (workers add theirs). */
    queues: z.array(z.string().regex(NAME_PATTERN)).default([]),
    sessionTtlMs: positiveMs.default(30_000),
    eventRelayDelayMs: z.int().min(0).default(1000),
    /** How long an engine keeps a tenant it read for admission (0: read it on every submit). */
    tenantCacheMs: z.int().min(0).default(1000),
    lastUsedThrottleMs: z.int().min(0).default(60_000),
    orphanGraceMs: z.int().min(0).default(3_600_000),
    /** How often `maintenance.start()` runs the orphan sweep (its own, slower timer). */
    orphanSweepIntervalMs: positiveMs.default(3_600_000),
    /** Longest a maintenance pass keeps paging; an unfinished pass resumes where it stopped. */
    maintenancePassBudgetMs: positiveMs.default(10_000),
    /** How often reconcile re-enqueues every ready task, not only those changed since its last pass. */
    requeueFullSweepMs: positiveMs.default(3_600_000),
    /** How long a concurrency slot lives without refresh (jobs refresh at heartbeats; resync fixes drift). */
    slotTtlMs: positiveMs.default(86_400_000),
    /**
     * How long the slot resync spares a holder PostgreSQL does not show unfinished: a job or
     * session slot is removed only when its holder is terminal or absent in PostgreSQL *and*
     * the slot was last acquired or refreshed at least this long before the pass read
     * PostgreSQL. It must exceed the longest time from a slot's last confirmation to the
     * commit of the row that backs it: one PostgreSQL write (a submit's job insert, a
     * retry's transition, a session's archive open), pool wait included. An upload does not
     * count: a submit refreshes its slot every third of this while its input uploads, and
     * confirms it again just before the insert. 15 s leaves ample room for a pool wait or a
     * slow commit; it is also how long a leaked slot (its release failed) may outlive its job.
     */
    slotResyncGraceMs: z.int().min(0).default(15_000),
    /** How often `events()` re-reads the log as a fallback for missed bus messages. */
    eventPollMs: positiveMs.default(1000),
  })
  .transform((c) => ({ ...c, heartbeatMs: c.heartbeatMs ?? Math.max(1, Math.floor(c.leaseMs / 3)) }));

export type DalstonConfigInput = z.input<typeof configSchema>;
export type DalstonConfig = z.output<typeof configSchema>;

/** The failure policy of one limit. */
export const failurePolicyFor = (config: DalstonConfig, limit: LimitName): FailurePolicy =>
  config.rateLimitFailure[limit] ?? config.rateLimitFailure.default;

/** Parses the host's configuration, filling defaults. */
export function parseConfig(input: unknown): Result<DalstonConfig, DalstonError> {
  const parsed = configSchema.safeParse(input ?? {});
  if (parsed.success) return ok(parsed.data);
  const issue = parsed.error.issues[0]!;
  const field = ['config', ...issue.path.map(String)].join('.');
  return err(validationFailed(field, `${issue.message} (@dalston/core createDalston options)`));
}
