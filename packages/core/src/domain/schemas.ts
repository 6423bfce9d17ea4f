/**
 * zod schemas for every value core or an adapter reads back from a store (Redis hashes,
 * queue entries, JSON columns) and for pipeline task specs. A value that does not parse
 * is corrupt: callers turn the zod error into VALIDATION_FAILED or a dead letter.
 */
import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeyRecord } from './api-key.js';
import { type DalstonEvent, EVENT_TYPES } from './events.js';
import { type ErrorInfo, JOB_STATUSES, type Job } from './job.js';
import type { JsonObject, JsonValue } from './json.js';
import { MAX_QUEUE_FIELD_LENGTH, type QueueMessage, queueMessageId } from './queue-message.js';
import type { RateLimitPolicy } from './rate-limit.js';
import { rateLimitPolicyProblem } from './rate-limit-algorithms.js';
import { type LiveSession, SESSION_STATUSES, type SessionRecord } from './session.js';
import { type BackoffPolicy, TASK_STATUSES, type Task, type TaskSpec } from './task.js';
import type { Tenant, TenantLimits } from './tenant.js';

/** Deepest nesting accepted in a JSON value (guards against cycles and stack exhaustion). */
export const MAX_JSON_DEPTH = 64;

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/** True when `v` is a JSON value: finite numbers, plain objects and arrays, depth-bounded. */
export function isJsonValue(v: unknown, depth = 0): v is JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object' || depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (!isPlainObject(v)) return false;
  return Object.values(v).every((x) => isJsonValue(x, depth + 1));
}

const isJsonObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && isJsonValue(v);

export const jsonValueSchema = z.custom<JsonValue>((v) => isJsonValue(v), {
  message: `expected a JSON value (finite numbers, plain objects and arrays, depth <= ${MAX_JSON_DEPTH})`,
});
export const jsonObjectSchema = z.custom<JsonObject>((v) => isJsonObject(v), {
  message: 'expected a JSON object',
});

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored: PostgreSQL text holds no NUL, UTF-8 no lone surrogate. */
export const UNSTORABLE_TEXT = 'must not contain NUL (\\u0000) or lone UTF-16 surrogates';

/**
 * True when every store can keep `s` exactly: no NUL (PostgreSQL text and jsonb refuse it)
 * and no lone UTF-16 surrogate (UTF-8 cannot encode one; it would come back as U+FFFD).
 * Core refuses such strings in caller input (VALIDATION_FAILED) and treats such ids as
 * ids that cannot exist (NOT_FOUND), so the memory and real sets answer alike.
 */
export const isStorableText = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);

/** A string every store can keep (see `isStorableText`). */
export const storableString = () => z.string().refine(isStorableText, UNSTORABLE_TEXT);

/** The path of the first string or key in a JSON value that cannot be stored; null when none. */
export function unstorableTextPath(v: JsonValue, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof v === 'string') return isStorableText(v) ? null : path;
  if (v === null || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) {
      const found = unstorableTextPath(item, [...path, i]);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(v)) {
    if (!isStorableText(key)) return [...path, key];
    const found = unstorableTextPath(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

const refineStorable = (v: JsonValue, ctx: z.RefinementCtx) => {
  const path = unstorableTextPath(v);
  if (path) ctx.addIssue({ code: 'custom', message: UNSTORABLE_TEXT, path });
};

/** A JSON value (see `jsonValueSchema`) whose strings and keys every store can keep. */
export const storableJsonValueSchema = jsonValueSchema.superRefine(refineStorable);
/** A JSON object (see `jsonObjectSchema`) whose strings and keys every store can keep. */
export const storableJsonObjectSchema = jsonObjectSchema.superRefine(refineStorable);

const DAY_MS = 86_400_000;
const epochMs = z.number();
const nullableMs = epochMs.nullable();

/** Stage and queue names. */
export const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
const nameSchema = z.string().regex(NAME_PATTERN, 'must match ^[a-z][a-z0-9_-]{0,62}$');
/** A queue (or stage) name: `^[a-z][a-z0-9_-]{0,62}$`. */
export const queueNameSchema = nameSchema;

export const backoffPolicySchema: z.ZodType<BackoffPolicy> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), delayMs: z.int().min(0).max(DAY_MS) }),
  z
    .strictObject({
      kind: z.literal('exponential'),
      baseMs: z.int().min(1).max(DAY_MS),
      maxMs: z.int().min(1).max(DAY_MS),
      jitter: z.number().min(0).max(1),
    })
    .refine((b) => b.maxMs >= b.baseMs, { message: 'maxMs must be >= baseMs', path: ['maxMs'] }),
]);

/** A pipeline's task spec (before defaults). Unknown keys are refused, so typos surface. */
export const taskSpecSchema: z.ZodType<TaskSpec> = z.strictObject({
  stage: nameSchema,
  queue: nameSchema,
  dependsOn: z.array(z.string()).optional(),
  required: z.boolean().optional(),
  maxAttempts: z.int().min(1).max(100).optional(),
  timeoutMs: z.int().min(1).max(DAY_MS).optional(),
  backoff: backoffPolicySchema.optional(),
  priority: z.int().min(-1000).max(1000).optional(),
  input: storableJsonValueSchema.optional(),
});

export const errorInfoSchema: z.ZodType<ErrorInfo> = z.object({
  code: z.string(),
  message: z.string(),
  stage: z.string().optional(),
});

export const jobSchema: z.ZodType<Job> = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  type: z.string().min(1),
  status: z.enum(JOB_STATUSES),
  parameters: jsonObjectSchema,
  input: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  retentionDays: z.int().min(-1),
  purgeAfter: nullableMs,
  purgedAt: nullableMs,
  error: errorInfoSchema.nullable(),
  correlationId: z.string(),
  createdAt: epochMs,
  startedAt: nullableMs,
  finishedAt: nullableMs,
  createdByKeyId: z.string().nullable(),
  traceContext: z.string().nullable(),
  version: z.int().min(1),
});

export const taskSchema: z.ZodType<Task> = z.object({
  id: z.string().min(1),
  jobId: z.string().min(1),
  tenantId: z.string().min(1),
  stage: z.string().min(1),
  queue: z.string().min(1),
  dependsOn: z.array(z.string()),
  required: z.boolean(),
  status: z.enum(TASK_STATUSES),
  attempt: z.int().min(1),
  failures: z.int().min(0),
  lostLeases: z.int().min(0),
  maxAttempts: z.int().min(1),
  timeoutMs: z.int().min(1),
  backoff: backoffPolicySchema,
  priority: z.int(),
  notBefore: nullableMs,
  input: jsonValueSchema.nullable(),
  output: jsonValueSchema.nullable(),
  error: errorInfoSchema.nullable(),
  leaseToken: z.string().nullable(),
  leaseExpiresAt: nullableMs,
  cancelRequested: z.boolean(),
  createdAt: epochMs,
  startedAt: nullableMs,
  finishedAt: nullableMs,
  version: z.int().min(1),
});

export const dalstonEventSchema: z.ZodType<DalstonEvent> = z.object({
  id: z.int().min(1),
  type: z.enum(EVENT_TYPES),
  tenantId: z.string().min(1),
  jobId: z.string().nullable(),
  taskId: z.string().nullable(),
  sessionId: z.string().nullable(),
  payload: jsonObjectSchema,
  correlationId: z.string().nullable(),
  at: epochMs,
});

/** Page sizes of every listing and scan port method: an integer from 1 to 1000. */
export const PAGE_LIMIT_MAX = 1000;
export const PAGE_LIMIT_RULE = `must be an integer from 1 to ${PAGE_LIMIT_MAX}`;
export const pageLimitSchema = z
  .int(PAGE_LIMIT_RULE)
  .min(1, PAGE_LIMIT_RULE)
  .max(PAGE_LIMIT_MAX, PAGE_LIMIT_RULE);

const queueField = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(MAX_QUEUE_FIELD_LENGTH, `must be at most ${MAX_QUEUE_FIELD_LENGTH} characters`);

/**
 * Shape of `QueueMessage` (domain/queue-message.ts), id rule included (`queueMessageId`):
 * what the work queue accepts on enqueue and what it reads back.
 */
export const queueMessageSchema: z.ZodType<QueueMessage> = z
  .object({
    id: z.string().min(1),
    queue: queueField,
    taskId: queueField,
    jobId: queueField,
    tenantId: queueField,
    attempt: z.int().min(1),
    priority: z.int(),
    notBefore: z.number().min(0).nullable(),
    maxDeliveries: z.int().min(1),
  })
  .refine((m) => m.id === queueMessageId(m.taskId, m.attempt), {
    message: 'must be <taskId>:<attempt>',
    path: ['id'],
  });

export const liveSessionSchema: z.ZodType<LiveSession> = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  status: z.enum(SESSION_STATUSES),
  workerId: z.string().nullable(),
  fields: z.record(z.string(), jsonValueSchema),
  version: z.int().min(0),
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: epochMs,
  ttlMs: z.int().min(1).optional(),
});

export const sessionRecordSchema: z.ZodType<SessionRecord> = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  status: z.enum(SESSION_STATUSES),
  workerId: z.string().nullable(),
  startedAt: epochMs,
  endedAt: nullableMs,
  stats: jsonObjectSchema,
  artifacts: z.record(z.string(), z.string()),
  error: z.string().nullable(),
});

export const apiKeyRecordSchema: z.ZodType<ApiKeyRecord> = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  name: z.string(),
  prefix: z.string().min(1),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256'),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdAt: epochMs,
  expiresAt: nullableMs,
  revokedAt: nullableMs,
  lastUsedAt: nullableMs,
});

const windowPolicy = { limit: z.int().min(1), windowMs: z.int().min(1) };
/**
 * A request-rate policy. The refinement is `rateLimitPolicyProblem`, the same rule the
 * rate-limit math checks, so a policy that parses here (tenant limits, config) can always
 * be checked: GCRA `burst: 0` or a limit × window too large to count exactly is refused.
 */
export const rateLimitPolicySchema: z.ZodType<RateLimitPolicy> = z
  .discriminatedUnion('algorithm', [
    z.object({ algorithm: z.literal('fixed'), ...windowPolicy }),
    z.object({ algorithm: z.literal('sliding'), ...windowPolicy }),
    z.object({ algorithm: z.literal('gcra'), ...windowPolicy, burst: z.int().min(1).optional() }),
  ])
  .superRefine((policy, ctx) => {
    const problem = rateLimitPolicyProblem(policy);
    if (problem)
      ctx.addIssue({ code: 'custom', message: problem.message, path: problem.field ? [problem.field] : [] });
  });

/** A tenant's limit overrides: the one schema used at creation, on update and when read back. */
export const tenantLimitsSchema: z.ZodType<TenantLimits> = z.strictObject({
  requests: rateLimitPolicySchema.optional(),
  requestsPerKey: rateLimitPolicySchema.optional(),
  concurrentJobs: z.int().min(0).optional(),
  concurrentSessions: z.int().min(0).optional(),
});

export const tenantSchema: z.ZodType<Tenant> = z.object({
  id: z.string().min(1),
  name: z.string(),
  limits: tenantLimitsSchema,
  disabled: z.boolean(),
  createdAt: epochMs,
});
