/**
 * The job and task state machine as pure functions (SPEC §3): `buildJob` makes a new
 * job with its tasks, `decide` turns one occurrence into compare-and-set writes and
 * events, `parentOutputs` hands a task its parents' outputs. No I/O, no clock: time,
 * randomness and ids come in as arguments.
 */
import type { DecideContext, Decision, JobChange, JobSnapshot, Occurrence, TaskWrite } from './change.js';
import { normaliseTaskSpec } from './dag.js';
import type { NewEvent } from './events.js';
import { DEFAULT_JOB_TYPE, isTerminalJobStatus, type Job } from './job.js';
import { cancel, redrive, retry } from './job-commands.js';
import { draftOf, nothing } from './job-draft.js';
import type { JsonObject, JsonValue } from './json.js';
import type { Task, TaskSpec, TaskStatus } from './task.js';
import * as outcome from './task-outcomes.js';

export { purgeAfterFor } from './job-draft.js';

export interface BuildJobInput {
  id: string;
  tenantId: string;
  /** The job type. Default `default`. */
  type?: string;
  parameters: JsonObject;
  /** Artifact URI of the job's input, or null. */
  input: string | null;
  idempotencyKey: string | null;
  retentionDays: number;
  correlationId: string;
  createdByKeyId: string | null;
  /** W3C traceparent of the submit span; default null. */
  traceContext?: string | null;
  /** Epoch ms. */
  now: number;
  /**
   * A delayed job: its first tasks (those without dependencies) start `ready` with this
   * `notBefore` (epoch ms), so no worker can start them earlier. Null or absent = at once.
   */
  notBefore?: number | null;
}

export interface BuiltJob {
  job: Job;
  tasks: Task[];
  events: NewEvent[];
}

function newTask(input: BuildJobInput, spec: TaskSpec, id: string): Task {
  const s = normaliseTaskSpec(spec);
  return {
    id,
    jobId: input.id,
    tenantId: input.tenantId,
    ...s,
    status: s.dependsOn.length === 0 ? 'ready' : 'pending',
    attempt: 1,
    failures: 0,
    lostLeases: 0,
    notBefore: s.dependsOn.length === 0 ? (input.notBefore ?? null) : null,
    output: null,
    error: null,
    leaseToken: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    createdAt: input.now,
    startedAt: null,
    finishedAt: null,
    version: 1,
  };
}

/**
 * A new job (`pending`, version 1) with one task per spec (specs as returned by
 * `validatePipeline`; defaults are filled again if missing). Tasks without dependencies
 * start `ready`, others `pending`. Events: `job.created`, then `task.ready` per ready task.
 * `newId` is called once per task with the kind `tsk`.
 */
export function buildJob(
  input: BuildJobInput,
  specs: readonly TaskSpec[],
  newId: (kind: string) => string,
): BuiltJob {
  const job: Job = {
    id: input.id,
    tenantId: input.tenantId,
    type: input.type ?? DEFAULT_JOB_TYPE,
    status: 'pending',
    parameters: input.parameters,
    input: input.input,
    idempotencyKey: input.idempotencyKey,
    retentionDays: input.retentionDays,
    purgeAfter: null,
    purgedAt: null,
    error: null,
    correlationId: input.correlationId,
    createdAt: input.now,
    startedAt: null,
    finishedAt: null,
    createdByKeyId: input.createdByKeyId,
    traceContext: input.traceContext ?? null,
    version: 1,
  };
  const tasks = specs.map((spec) => newTask(input, spec, newId('tsk')));
  const base = { tenantId: job.tenantId, jobId: job.id, sessionId: null, correlationId: job.correlationId };
  const events: NewEvent[] = [
    {
      ...base,
      type: 'job.created',
      taskId: null,
      payload: { status: 'pending', tasks: tasks.length },
      at: input.now,
    },
    ...tasks
      .filter((t) => t.status === 'ready')
      .map(
        (t): NewEvent => ({
          ...base,
          type: 'task.ready',
          taskId: t.id,
          payload: { stage: t.stage, attempt: t.attempt },
          at: input.now,
        }),
      ),
  ];
  return { job, tasks, events };
}

/**
 * What one occurrence does to a job, as compare-and-set writes and events (SPEC §3).
 * An occurrence that no longer applies (stale attempt or token, terminal task or job,
 * not yet due) decides nothing: `change` is null and `reason` says why. Terminal states
 * are absorbing; `retry` of a failed job is the one explicit exception.
 *
 * After a `start`, the caller owns the task only when the written task is `running` with
 * the given lease token (a take-over past the lost-lease ceiling fails the task instead).
 */
export function decide(snapshot: JobSnapshot, occurrence: Occurrence, ctx: DecideContext): Decision {
  const d = draftOf(snapshot, ctx.now);
  if (occurrence.kind === 'retry') return retry(d);
  if (isTerminalJobStatus(snapshot.job.status)) return nothing('terminal');
  switch (occurrence.kind) {
    case 'start':
      return outcome.start(d, occurrence, ctx);
    case 'progress':
      return outcome.progress(d, occurrence);
    case 'complete':
      return outcome.complete(d, occurrence);
    case 'fail':
      return outcome.fail(d, occurrence, ctx);
    case 'timeout':
      return outcome.timeout(d, occurrence, ctx);
    case 'leaseLost':
      return outcome.leaseLost(d, occurrence, ctx);
    case 'infraFailure':
      return outcome.infraFailure(d, occurrence, ctx);
    case 'deadLettered':
      return outcome.deadLettered(d, occurrence);
    case 'cancelled':
      return outcome.cancelled(d, occurrence, ctx);
    case 'cancel':
      return cancel(d, occurrence.reason);
    case 'redrive':
      return redrive(d, occurrence.taskId, occurrence.attempt);
  }
}

/** The job as `change` leaves it (writes applied to `snapshot`; nothing is copied). */
export function applyChange(snapshot: JobSnapshot, change: JobChange): JobSnapshot {
  const written = new Map(change.tasks.map((w) => [w.next.id, w.next]));
  return {
    job: change.job ? change.job.next : snapshot.job,
    tasks: snapshot.tasks.map((t) => written.get(t.id) ?? t),
  };
}

/**
 * A start and the outcome of the attempt it starts, decided as one change: the start write
 * folded into the outcome's transaction (see docs/architecture.md, "Folded starts"). The
 * start is decided at `startedAt` and must move a `ready` task to `running` with its lease
 * token (anything else, a take-over included, decides nothing: `stale`, or decide's own
 * reason); the outcome is then decided on the result at `ctx.now`. Each task and the job
 * get at most one write, expecting the state read and carrying its version + 1; events
 * are the start's, then the outcome's.
 */
export function decideFolded(
  snapshot: JobSnapshot,
  start: Extract<Occurrence, { kind: 'start' }>,
  startedAt: number,
  occurrence: Occurrence,
  ctx: DecideContext,
): Decision {
  const first = decide(snapshot, start, { ...ctx, now: startedAt });
  if (!first.change) return first;
  const before = snapshot.tasks.find((t) => t.id === start.taskId);
  if (before?.status !== 'ready') return nothing('stale');
  const mid = applyChange(snapshot, first.change);
  const ours = mid.tasks.find((t) => t.id === start.taskId);
  if (ours?.status !== 'running' || ours.leaseToken !== start.leaseToken) return nothing('stale');
  const second = decide(mid, occurrence, ctx);
  if (!second.change) return second;
  return foldDecisions(snapshot, first, second);
}

/** `second` (decided on the result of `first`) and `first` as one set of writes against `snapshot`. */
function foldDecisions(snapshot: JobSnapshot, first: Decision, second: Decision): Decision {
  const a = first.change!;
  const b = second.change!;
  const versions = new Map(snapshot.tasks.map((t) => [t.id, t.version]));
  const tasks = new Map<string, TaskWrite>();
  for (const w of a.tasks) tasks.set(w.next.id, w);
  for (const w of b.tasks) {
    const earlier = tasks.get(w.next.id);
    tasks.set(w.next.id, { expected: earlier?.expected ?? w.expected, next: w.next });
  }
  const taskWrites = [...tasks.values()].map((w) => ({
    expected: w.expected,
    next: { ...w.next, version: versions.get(w.next.id)! + 1 },
  }));
  const jobExpected = a.job?.expected ?? b.job?.expected;
  const jobNext = b.job?.next ?? a.job?.next;
  const job =
    jobExpected && jobNext
      ? { expected: jobExpected, next: { ...jobNext, version: snapshot.job.version + 1 } }
      : null;
  const written = new Map(taskWrites.map((w) => [w.next.id, w.next]));
  const enqueue = [...first.enqueue, ...second.enqueue]
    .map((t) => written.get(t.id))
    .filter((t, i, all): t is Task => t?.status === 'ready' && all.indexOf(t) === i);
  return {
    change: { job, tasks: taskWrites, events: [...a.events, ...b.events] },
    enqueue,
    abort: [...first.abort, ...second.abort],
  };
}

/**
 * The outputs of a task's dependencies keyed by stage. Only a completed parent hands on
 * its output; a skipped parent (or any other) reads as output null.
 */
export function parentOutputs(
  snapshot: JobSnapshot,
  task: Pick<Task, 'dependsOn'>,
): Record<string, { status: TaskStatus; output: JsonValue | null }> {
  const out: Record<string, { status: TaskStatus; output: JsonValue | null }> = {};
  for (const stage of task.dependsOn) {
    const parent = snapshot.tasks.find((t) => t.stage === stage);
    if (!parent) continue;
    out[stage] = { status: parent.status, output: parent.status === 'completed' ? parent.output : null };
  }
  return out;
}
