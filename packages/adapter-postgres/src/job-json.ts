/**
 * Sets of rows as one bound jsonb parameter: the writes send jobs, tasks and events as JSON
 * arrays that the statement expands with `jsonb_to_recordset` into typed columns. The
 * statement text stays the same whatever the number of rows (so it is prepared once), and
 * no value is ever quoted into SQL. Every value is checked first (job-rows / values.ts);
 * the JSON is written directly: jsonb columns carry the checked JSON text as is, times the
 * ISO-8601 strings timestamptz parses exactly.
 */
import type { Job, NewEvent, Task, TaskWrite } from '@dalston/core/adapter';
import { invalid } from './errors.js';
import { eventValues, JOB_MUTABLE, jobMutableValues, TASK_MUTABLE, taskMutableValues } from './job-rows.js';
import { type Ctx, int, key, ms, text } from './values.js';

/** Columns whose values are JSON text already (jsonb columns). */
const RAW = new Set(['parameters', 'backoff', 'output', 'payload', 'error']);
/** Event keys of the JSON createJob binds (read back by job-create.ts's statement). */
export const EVENT_COLS = [
  'type',
  'tenant_id',
  'job_id',
  'task_id',
  'session_id',
  'payload',
  'correlation_id',
  'at',
];

/** `{"col":value,…}`; raw columns (and task `input`, which is jsonb) are embedded as JSON text. */
function object(cols: readonly string[], values: unknown[], rawInput = false): string {
  const parts = cols.map((col, k) => {
    const v = values[k];
    const raw = RAW.has(col) || (rawInput && col === 'input');
    return `${JSON.stringify(col)}:${v === null ? 'null' : raw ? (v as string) : JSON.stringify(v)}`;
  });
  return `{${parts.join(',')}}`;
}

/** The events as a JSON array of event rows (insert order). */
export function eventsJson(c: Ctx, field: string, events: NewEvent[]): string {
  return `[${events.map((e, i) => object(EVENT_COLS, eventValues(c, `${field}.${i}`, e))).join(',')}]`;
}

const TASK_WRITE_COLS = ['id', 'exp_status', 'exp_attempt', 'exp_lease_token', ...TASK_MUTABLE];

/** Task writes: the expected (status, attempt, leaseToken) and the new mutable columns. */
export function taskWritesJson(c: Ctx, writes: TaskWrite[]): string {
  const rows = writes.map((w, i) => {
    const f = `change.tasks.${i}`;
    const { status, attempt, leaseToken } = w.expected;
    return object(
      TASK_WRITE_COLS,
      [
        key(c, `${f}.next.id`, w.next.id),
        text(c, `${f}.expected.status`, status),
        int(c, `${f}.expected.attempt`, attempt, 0),
        text(c, `${f}.expected.leaseToken`, leaseToken, { nullable: true }),
        ...taskMutableValues(c, `${f}.next`, w.next),
      ],
      true,
    );
  });
  return `[${rows.join(',')}]`;
}

const JOB_WRITE_COLS = ['exp_status', 'exp_version', ...JOB_MUTABLE];

/** A job write: the expected (status, version) and the new mutable columns. */
export function jobWriteJson(c: Ctx, expected: { status: string; version: number }, next: Job): string {
  return object(JOB_WRITE_COLS, [
    text(c, 'change.job.expected.status', expected.status),
    int(c, 'change.job.expected.version', expected.version, 0),
    ...jobMutableValues(c, 'change.job.next', next),
  ]);
}

/** Job keys of the JSON createJob binds (read back by job-create.ts's statement). */
export const JOB_INSERT_COLS = [
  'id',
  'tenant_id',
  'type',
  'idempotency_key',
  'created_at',
  'trace_context',
  ...JOB_MUTABLE,
];

/** A new job row. */
export function jobInsertJson(c: Ctx, job: Job): string {
  return object(JOB_INSERT_COLS, [
    key(c, 'job.id', job.id),
    key(c, 'job.tenantId', job.tenantId),
    text(c, 'job.type', job.type),
    job.idempotencyKey === null ? null : key(c, 'job.idempotencyKey', job.idempotencyKey),
    ms(c, 'job.createdAt', job.createdAt),
    text(c, 'job.traceContext', job.traceContext ?? null, { nullable: true }),
    ...jobMutableValues(c, 'job', job),
  ]);
}

/** Task keys of the JSON createJob binds (read back by job-create.ts's statement). */
export const TASK_INSERT_COLS = ['id', 'position', 'stage', 'queue', 'created_at', ...TASK_MUTABLE];

/** New task rows (position = index) and their DAG edges, as two JSON arrays. */
export function tasksInsertJson(c: Ctx, job: Job, tasks: Task[]): { tasks: string; edges: string } {
  const edges: string[] = [];
  const rows = tasks.map((t, i) => {
    const f = `tasks.${i}`;
    if (t.jobId !== job.id) throw invalidField(c, `${f}.jobId`, 'must be the job id');
    if (t.tenantId !== job.tenantId) throw invalidField(c, `${f}.tenantId`, 'must be the job tenant');
    const id = key(c, `${f}.id`, t.id);
    t.dependsOn.forEach((dep, k) => {
      edges.push(object(['task_id', 'position', 'depends_on'], [id, k, key(c, `${f}.dependsOn.${k}`, dep)]));
    });
    return object(
      TASK_INSERT_COLS,
      [
        id,
        i,
        key(c, `${f}.stage`, t.stage),
        text(c, `${f}.queue`, t.queue),
        ms(c, `${f}.createdAt`, t.createdAt),
        ...taskMutableValues(c, f, t),
      ],
      true,
    );
  });
  return { tasks: `[${rows.join(',')}]`, edges: `[${edges.join(',')}]` };
}

const invalidField = (c: Ctx, field: string, message: string) =>
  invalid(c.store, c.operation, field, message);

/**
 * CTEs `e` (insert the events of the jsonb array `source`, in array order, returning their
 * ids) and `o` (one outbox row per inserted event). `where` may gate the insert.
 */
export const insertEventsSql = (t: (name: string) => string, source: string, where = '') =>
  `e AS (INSERT INTO ${t('events')} (type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at)
     SELECT w.type, w.tenant_id, w.job_id, w.task_id, w.session_id, w.payload, w.correlation_id, w.at
     FROM ROWS FROM (jsonb_to_recordset(${source}) AS (type text, tenant_id text, job_id text,
       task_id text, session_id text, payload jsonb, correlation_id text, at timestamptz))
       WITH ORDINALITY w(type, tenant_id, job_id, task_id, session_id, payload, correlation_id, at, ord)
     ${where} ORDER BY w.ord RETURNING id),
   o AS (INSERT INTO ${t('outbox')} (event_id) SELECT id FROM e)`;

/** Event ids as returned in a bigint[] column (strings), ascending = insert order. */
export const eventIds = (ids: unknown): number[] =>
  ((ids ?? []) as (string | number)[]).map(Number).sort((a, b) => a - b);
