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
    leaseMs: positiveMs
      .default(30_000)
      .describe(
        'How long a worker holds a task it leased, in ms. A worker that dies holding one loses it after this long, and another worker takes the task over.',
      ),
    heartbeatMs: positiveMs
      .optional()
      .describe('How often a running attempt renews its lease, in ms. Default: leaseMs / 3.'),
    startWriteDelayMs: z
      .int()
      .min(0)
      .default(50)
      .describe(
        'Folded starts, in ms: a handler that settles within this long has its start written in the same transaction as its outcome (one store write per attempt instead of two); one still running then, or reporting progress, has its start written at that moment. Capped at heartbeatMs; 0 writes every start before its handler runs.',
      ),
    progressIntervalMs: z
      .int()
      .min(0)
      .default(1000)
      .describe(
        "Least time between two task.progress events of one attempt, in ms: ctx.progress() values reported in between are coalesced (the latest wins) and the handler's last value is written when it settles. 0: no rate, but one write at a time.",
      ),
    maxLostLeases: z
      .int()
      .min(1)
      .default(5)
      .describe(
        'Leases a task may lose (its worker died or stalled past leaseMs) before it fails for good; lost leases do not spend maxAttempts.',
      ),
    maxDeliveries: z
      .int()
      .min(1)
      .default(10)
      .describe(
        'Deliveries of one queue message before the queue dead-letters it (a poison message); reconcile then fails its task.',
      ),
    maxStoreInterruptions: z
      .int()
      .min(1)
      .default(DEFAULT_MAX_STORE_INTERRUPTIONS)
      .describe(
        'Attempts a task may have cut short by an unavailable store (STORE_UNAVAILABLE through ctx.artifacts) before it fails for good with STORE_UNAVAILABLE. Such attempts do not spend maxAttempts; they share the lost-lease count.',
      ),
    storeRetryBackoff: backoffPolicySchema
      .default(DEFAULT_STORE_RETRY_BACKOFF)
      .describe(
        'Delay before re-running an attempt a store cut short, by interruption count (a backoff policy).',
      ),
    storeRetryBudgetMs: positiveMs
      .default(30_000)
      .describe(
        "How long the engine's own store calls around an attempt (recording its outcome, progress) retry STORE_UNAVAILABLE, backing off from 50 ms to 2 s, in ms. An outcome not recorded leaves the message to be redelivered after its lease.",
      ),
    defaultRetentionDays: z
      .int()
      .min(-1)
      .default(30)
      .describe(
        'Days a finished job is kept before purgeExpired removes it, for tenants without their own retentionDays (0: at once, -1: keep).',
      ),
    rowRetentionMs: z
      .int()
      .min(0)
      .nullable()
      .default(90 * 86_400_000)
      .describe(
        'How long the rows of a finished job (the job, its tasks and its events) stay after it finished, in ms, before maintenance deletes them; never before its artifacts are purged, so a job kept by retentionDays -1 keeps its rows. Default 90 days; null keeps every row forever.',
      ),
    limits: z
      .strictObject({
        concurrentJobs: z
          .int()
          .min(0)
          .default(100)
          .describe(
            'Unfinished jobs a tenant may have at once, for tenants without their own limit; a submit past it is refused with RATE_LIMITED.',
          ),
        concurrentSessions: z
          .int()
          .min(0)
          .default(100)
          .describe(
            'Live sessions a tenant may have at once, for tenants without their own limit; past it a session start is refused with RATE_LIMITED.',
          ),
        requests: rateLimitPolicySchema
          .optional()
          .describe(
            'Request rate limit (a rate-limit policy) for tenants without their own; none by default.',
          ),
      })
      .default({ concurrentJobs: 100, concurrentSessions: 100 })
      .describe("Default per-tenant limits; a tenant's own limits override them field by field."),
    rateLimitFailure: failureSchema.describe(
      "What to do when the rate-limit store is unreachable: 'fail-open' (admit) or 'fail-closed' (refuse with STORE_UNAVAILABLE), one policy or { default, requests, concurrentJobs, concurrentSessions }.",
    ),
    queues: z
      .array(z.string().regex(NAME_PATTERN))
      .default([])
      .describe(
        'Queues maintenance scans for dead letters, besides those of the workers this engine created (list them on an engine that runs maintenance without workers).',
      ),
    sessionTtlMs: positiveMs
      .default(30_000)
      .describe(
        'How long a live session lives without a keepalive or update, in ms, when it was started without its own ttlMs; an expired session is swept as interrupted.',
      ),
    eventRelayDelayMs: z
      .int()
      .min(0)
      .default(1000)
      .describe(
        'Age in ms after which maintenance republishes an event whose bus publish was not confirmed (at-least-once delivery); 0 makes every publish wait for its confirmation.',
      ),
    tenantCacheMs: z
      .int()
      .min(0)
      .default(1000)
      .describe(
        'How long an engine keeps a tenant it read for admission, in ms (0: read it on every submit).',
      ),
    lastUsedThrottleMs: z
      .int()
      .min(0)
      .default(60_000)
      .describe(
        "Least time between two writes of an API key's lastUsedAt, in ms (0: every verification writes).",
      ),
    orphanGraceMs: z
      .int()
      .min(0)
      .default(3_600_000)
      .describe(
        'Age in ms an artifact without a job row (an upload whose submit never committed) must reach before the orphan sweep deletes it.',
      ),
    orphanSweepIntervalMs: positiveMs
      .default(3_600_000)
      .describe('How often maintenance.start() runs the orphan sweep (its own, slower timer), in ms.'),
    maintenancePassBudgetMs: positiveMs
      .default(10_000)
      .describe(
        'Longest a maintenance pass keeps paging, in ms; an unfinished pass resumes where it stopped.',
      ),
    requeueFullSweepMs: positiveMs
      .default(3_600_000)
      .describe(
        'How often reconcile re-enqueues every ready task, not only those changed since its last pass, in ms.',
      ),
    slotTtlMs: positiveMs
      .default(86_400_000)
      .describe(
        'How long a concurrency slot lives without refresh, in ms (jobs refresh theirs at heartbeats; the slot resync fixes drift).',
      ),
    /**
     * A job or session slot is removed only when its holder is terminal or absent in
     * PostgreSQL *and* the slot was last acquired or refreshed at least this long before the
     * pass read PostgreSQL. It must exceed the longest time from a slot's last confirmation to
     * the commit of the row that backs it: one PostgreSQL write (a submit's job insert, a
     * retry's transition, a session's archive open), pool wait included. An upload does not
     * count: a submit refreshes its slot every third of this while its input uploads, and
     * confirms it again just before the insert.
     */
    slotResyncGraceMs: z
      .int()
      .min(0)
      .default(15_000)
      .describe(
        'How long the slot resync spares a holder the job store does not show unfinished, in ms: longer than one store write (pool wait included). Also how long a leaked slot may outlive its job.',
      ),
    queuePollMs: positiveMs
      .default(1000)
      .describe(
        "How often each engine with workers re-reads the queues' pause switches from the job store, in ms: a queue paused or resumed by another engine is honoured by this engine's workers within this long (at once by the engine that paused it).",
      ),
    eventPollMs: positiveMs
      .default(1000)
      .describe('How often events() re-reads the event log as a fallback for missed bus messages, in ms.'),
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
