/**
 * Column lists, row mappers and checked parameter lists for jobs, tasks and events.
 * Reads turn timestamptz into epoch ms in SQL (see values.ts); writes validate every
 * field first so the database never sees a value it would refuse or alter.
 */
import type { DalstonEvent, Job, NewEvent, Task } from '@dalston/core/adapter';
import { bool, type Ctx, int, json, key, ms, msCol, num, text } from './values.js';

export const jobColumns = (a = 'j') =>
  [
    `${a}.id`,
    `${a}.tenant_id`,
    `${a}.type`,
    `${a}.status`,
    `${a}.parameters`,
    `${a}.input`,
    `${a}.idempotency_key`,
    `${a}.retention_days`,
    msCol(`${a}.purge_after`, 'purge_after'),
    msCol(`${a}.purged_at`, 'purged_at'),
    `${a}.error`,
    `${a}.correlation_id`,
    msCol(`${a}.created_at`, 'created_at'),
    msCol(`${a}.started_at`, 'started_at'),
    msCol(`${a}.finished_at`, 'finished_at'),
    `${a}.created_by_key_id`,
    `${a}.trace_context`,
    `${a}.version`,
  ].join(', ');

/**
 * A job's tasks as one `json` array in position order (one JSON.parse in the driver; an
 * `ARRAY(row_to_json …)` would be a json[] parsed element by element). `job` is the SQL
 * expression of the job's id; `deps` the task_dependencies table.
 */
export const tasksJsonSql = (tasks: string, deps: string, job: string) =>
  `(SELECT coalesce(json_agg(y ORDER BY y.position), '[]'::json) FROM (SELECT ${taskColumns(deps)}, t.position
      FROM ${tasks} t WHERE t.job_id = ${job}) y)`;

export const taskColumns = (deps: string, a = 't') =>
  [
    `${a}.id`,
    `${a}.job_id`,
    `${a}.tenant_id`,
    `${a}.stage`,
    `${a}.queue`,
    `ARRAY(SELECT d.depends_on FROM ${deps} d WHERE d.task_id = ${a}.id ORDER BY d.position) AS depends_on`,
    `${a}.required`,
    `${a}.status`,
    `${a}.attempt`,
    `${a}.failures`,
    `${a}.lost_leases`,
    `${a}.max_attempts`,
    `${a}.timeout_ms::float8 AS timeout_ms`,
    `${a}.backoff`,
    `${a}.priority`,
    msCol(`${a}.not_before`, 'not_before'),
    `${a}.input`,
    `${a}.output`,
    `${a}.error`,
    `${a}.lease_token`,
    msCol(`${a}.lease_expires_at`, 'lease_expires_at'),
    `${a}.cancel_requested`,
    msCol(`${a}.created_at`, 'created_at'),
    msCol(`${a}.started_at`, 'started_at'),
    msCol(`${a}.finished_at`, 'finished_at'),
    `${a}.version`,
  ].join(', ');

export const eventColumns = (a = 'e') =>
  [
    `${a}.id::float8 AS id`,
    `${a}.type`,
    `${a}.tenant_id`,
    `${a}.job_id`,
    `${a}.task_id`,
    `${a}.session_id`,
    `${a}.payload`,
    `${a}.correlation_id`,
    msCol(`${a}.at`, 'at'),
  ].join(', ');

type Row = Record<string, unknown>;

export const rowToJob = (r: Row): Job => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  type: r.type as string,
  status: r.status as Job['status'],
  parameters: r.parameters as Job['parameters'],
  input: r.input as string | null,
  idempotencyKey: r.idempotency_key as string | null,
  retentionDays: r.retention_days as number,
  purgeAfter: num(r.purge_after),
  purgedAt: num(r.purged_at),
  error: (r.error ?? null) as Job['error'],
  correlationId: r.correlation_id as string,
  createdAt: num(r.created_at)!,
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
  createdByKeyId: r.created_by_key_id as string | null,
  traceContext: (r.trace_context ?? null) as string | null,
  version: r.version as number,
});

export const rowToTask = (r: Row): Task => ({
  id: r.id as string,
  jobId: r.job_id as string,
  tenantId: r.tenant_id as string,
  stage: r.stage as string,
  queue: r.queue as string,
  dependsOn: r.depends_on as string[],
  required: r.required as boolean,
  status: r.status as Task['status'],
  attempt: r.attempt as number,
  failures: r.failures as number,
  lostLeases: r.lost_leases as number,
  maxAttempts: r.max_attempts as number,
  timeoutMs: num(r.timeout_ms)!,
  backoff: r.backoff as Task['backoff'],
  priority: r.priority as number,
  notBefore: num(r.not_before),
  input: (r.input ?? null) as Task['input'],
  output: (r.output ?? null) as Task['output'],
  error: (r.error ?? null) as Task['error'],
  leaseToken: r.lease_token as string | null,
  leaseExpiresAt: num(r.lease_expires_at),
  cancelRequested: r.cancel_requested as boolean,
  createdAt: num(r.created_at)!,
  startedAt: num(r.started_at),
  finishedAt: num(r.finished_at),
  version: r.version as number,
});

export const rowToEvent = (r: Row): DalstonEvent => ({
  id: num(r.id)!,
  type: r.type as DalstonEvent['type'],
  tenantId: r.tenant_id as string,
  jobId: r.job_id as string | null,
  taskId: r.task_id as string | null,
  sessionId: r.session_id as string | null,
  payload: r.payload as DalstonEvent['payload'],
  correlationId: r.correlation_id as string | null,
  at: num(r.at)!,
});

/** The mutable job columns in SET/INSERT order, checked. */
export const JOB_MUTABLE = [
  'status',
  'parameters',
  'input',
  'retention_days',
  'purge_after',
  'purged_at',
  'error',
  'correlation_id',
  'started_at',
  'finished_at',
  'created_by_key_id',
  'version',
] as const;

export function jobMutableValues(c: Ctx, f: string, j: Job): unknown[] {
  return [
    text(c, `${f}.status`, j.status),
    json(c, `${f}.parameters`, j.parameters),
    text(c, `${f}.input`, j.input, { nullable: true }),
    int(c, `${f}.retentionDays`, j.retentionDays, -1),
    ms(c, `${f}.purgeAfter`, j.purgeAfter, true),
    ms(c, `${f}.purgedAt`, j.purgedAt, true),
    json(c, `${f}.error`, j.error, true),
    text(c, `${f}.correlationId`, j.correlationId),
    ms(c, `${f}.startedAt`, j.startedAt, true),
    ms(c, `${f}.finishedAt`, j.finishedAt, true),
    text(c, `${f}.createdByKeyId`, j.createdByKeyId, { nullable: true }),
    int(c, `${f}.version`, j.version, 0),
  ];
}

/** The mutable task columns in SET order, checked. */
export const TASK_MUTABLE = [
  'required',
  'status',
  'attempt',
  'failures',
  'lost_leases',
  'max_attempts',
  'timeout_ms',
  'backoff',
  'priority',
  'not_before',
  'input',
  'output',
  'error',
  'lease_token',
  'lease_expires_at',
  'cancel_requested',
  'started_at',
  'finished_at',
  'version',
] as const;

/** SQL types of the mutable task columns (casts for typed VALUES lists). */
export const TASK_TYPES: Record<(typeof TASK_MUTABLE)[number], string> = {
  required: 'boolean',
  status: 'text',
  attempt: 'integer',
  failures: 'integer',
  lost_leases: 'integer',
  max_attempts: 'integer',
  timeout_ms: 'bigint',
  backoff: 'jsonb',
  priority: 'integer',
  not_before: 'timestamptz',
  input: 'jsonb',
  output: 'jsonb',
  error: 'jsonb',
  lease_token: 'text',
  lease_expires_at: 'timestamptz',
  cancel_requested: 'boolean',
  started_at: 'timestamptz',
  finished_at: 'timestamptz',
  version: 'integer',
};

export function taskMutableValues(c: Ctx, f: string, t: Task): unknown[] {
  return [
    bool(c, `${f}.required`, t.required),
    text(c, `${f}.status`, t.status),
    int(c, `${f}.attempt`, t.attempt, 0),
    int(c, `${f}.failures`, t.failures, 0),
    int(c, `${f}.lostLeases`, t.lostLeases, 0),
    int(c, `${f}.maxAttempts`, t.maxAttempts, 1),
    int(c, `${f}.timeoutMs`, t.timeoutMs, 0, true),
    json(c, `${f}.backoff`, t.backoff),
    int(c, `${f}.priority`, t.priority, -2147483648),
    ms(c, `${f}.notBefore`, t.notBefore, true),
    json(c, `${f}.input`, t.input, true),
    json(c, `${f}.output`, t.output, true),
    json(c, `${f}.error`, t.error, true),
    text(c, `${f}.leaseToken`, t.leaseToken, { nullable: true }),
    ms(c, `${f}.leaseExpiresAt`, t.leaseExpiresAt, true),
    bool(c, `${f}.cancelRequested`, t.cancelRequested),
    ms(c, `${f}.startedAt`, t.startedAt, true),
    ms(c, `${f}.finishedAt`, t.finishedAt, true),
    int(c, `${f}.version`, t.version, 0),
  ];
}

export function eventValues(c: Ctx, f: string, e: NewEvent): unknown[] {
  return [
    text(c, `${f}.type`, e.type),
    key(c, `${f}.tenantId`, e.tenantId),
    e.jobId === null ? null : key(c, `${f}.jobId`, e.jobId),
    text(c, `${f}.taskId`, e.taskId, { nullable: true }),
    text(c, `${f}.sessionId`, e.sessionId, { nullable: true }),
    json(c, `${f}.payload`, e.payload),
    text(c, `${f}.correlationId`, e.correlationId, { nullable: true }),
    ms(c, `${f}.at`, e.at),
  ];
}
