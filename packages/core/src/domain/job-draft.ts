/**
 * A working copy of one job snapshot while `decide` applies one occurrence: tasks and job
 * are replaced immutably, events are collected in order, and `toDecision` turns the
 * differences into compare-and-set writes (expected = the state read, version + 1).
 * Also holds the rules every outcome shares: promoting dependents, settling the job.
 */
import type { AttemptRef, Decision, JobSnapshot } from './change.js';
import type { EventType, NewEvent } from './events.js';
import type { ErrorInfo, Job } from './job.js';
import type { JsonObject } from './json.js';
import { isTerminalTaskStatus, type Task } from './task.js';

const DAY_MS = 86_400_000;

export interface Draft {
  readonly before: JobSnapshot;
  readonly now: number;
  job: Job;
  tasks: Task[];
  events: NewEvent[];
  enqueue: Set<string>;
  abort: AttemptRef[];
}

export const draftOf = (before: JobSnapshot, now: number): Draft => ({
  before,
  now,
  job: before.job,
  tasks: [...before.tasks],
  events: [],
  enqueue: new Set(),
  abort: [],
});

export const taskById = (d: Draft, id: string): Task | undefined => d.tasks.find((t) => t.id === id);

export function setTask(d: Draft, next: Task): Task {
  d.tasks = d.tasks.map((t) => (t.id === next.id ? next : t));
  return next;
}

export function setJob(d: Draft, patch: Partial<Job>): void {
  d.job = { ...d.job, ...patch };
}

export function taskEvent(d: Draft, type: EventType, task: Task, extra: JsonObject = {}): void {
  d.events.push({
    type,
    tenantId: d.job.tenantId,
    jobId: d.job.id,
    taskId: task.id,
    sessionId: null,
    payload: { stage: task.stage, attempt: task.attempt, ...extra },
    correlationId: d.job.correlationId,
    at: d.now,
  });
}

export function jobEvent(d: Draft, type: EventType, extra: JsonObject = {}): void {
  d.events.push({
    type,
    tenantId: d.job.tenantId,
    jobId: d.job.id,
    taskId: null,
    sessionId: null,
    payload: { status: d.job.status, ...extra },
    correlationId: d.job.correlationId,
    at: d.now,
  });
}

/** `purgeAfter` for a job that reached a terminal state at `finishedAt`. */
export function purgeAfterFor(retentionDays: number, finishedAt: number): number | null {
  if (retentionDays < 0) return null;
  return finishedAt + retentionDays * DAY_MS;
}

/** A task released from its lease (lease fields cleared). */
export const unleased = (t: Task): Task => ({ ...t, leaseToken: null, leaseExpiresAt: null });

export const refOf = (t: Task): AttemptRef => ({
  taskId: t.id,
  attempt: t.attempt,
  leaseToken: t.leaseToken ?? '',
});

/** Ends a task in a terminal status now (lease cleared), with its event. */
export function finishTask(
  d: Draft,
  task: Task,
  status: 'completed' | 'failed' | 'skipped' | 'cancelled',
  patch: Partial<Task> = {},
  extra: JsonObject = {},
): Task {
  const next = setTask(d, { ...unleased(task), ...patch, status, finishedAt: d.now });
  taskEvent(d, `task.${status}`, next, extra);
  return next;
}

/** Moves the job to a terminal status with finishedAt and purgeAfter, with its event. */
export function finishJob(
  d: Draft,
  status: 'completed' | 'failed' | 'cancelled',
  error: ErrorInfo | null = null,
  extra: JsonObject = {},
): void {
  setJob(d, { status, error, finishedAt: d.now, purgeAfter: purgeAfterFor(d.job.retentionDays, d.now) });
  jobEvent(d, `job.${status}`, extra);
}

const depsSettled = (d: Draft, t: Task): boolean =>
  t.dependsOn.every((stage) => {
    const dep = d.tasks.find((x) => x.stage === stage);
    return dep !== undefined && (dep.status === 'completed' || dep.status === 'skipped');
  });

/** Pending tasks whose dependencies are all completed or skipped become ready (and are enqueued). */
export function promoteDependents(d: Draft): void {
  for (const t of d.tasks) {
    if (t.status !== 'pending' || !depsSettled(d, t)) continue;
    const next = setTask(d, { ...t, status: 'ready', notBefore: null });
    taskEvent(d, 'task.ready', next);
    d.enqueue.add(next.id);
  }
}

/** When every task is terminal, the job completes (or fails when a required task failed). */
export function settleJob(d: Draft): void {
  if (!d.tasks.every((t) => isTerminalTaskStatus(t.status))) return;
  const failed = d.tasks.find((t) => t.required && t.status === 'failed');
  if (!failed) {
    finishJob(d, 'completed');
    return;
  }
  const error = { ...(failed.error ?? { code: 'FAILED', message: 'task failed' }), stage: failed.stage };
  finishJob(d, 'failed', error, { stage: failed.stage, errorCode: error.code });
}

/** In a cancelling job: once no task runs any more, the job is cancelled. */
export function settleCancelling(d: Draft): void {
  if (d.job.status !== 'cancelling') return;
  if (d.tasks.some((t) => t.status === 'running')) return;
  finishJob(d, 'cancelled');
}

/** Turns the draft into writes: one per changed task and the job when it changed. */
export function toDecision(d: Draft): Decision {
  const prior = new Map(d.before.tasks.map((t) => [t.id, t]));
  const tasks = d.tasks
    .filter((t) => t !== prior.get(t.id))
    .map((t) => {
      const p = prior.get(t.id)!;
      return {
        expected: { status: p.status, attempt: p.attempt, leaseToken: p.leaseToken },
        next: { ...t, version: p.version + 1 },
      };
    });
  const p = d.before.job;
  const job =
    d.job === p
      ? null
      : { expected: { status: p.status, version: p.version }, next: { ...d.job, version: p.version + 1 } };
  if (!job && tasks.length === 0 && d.events.length === 0) {
    return { change: null, enqueue: [], abort: [], reason: 'no_change' };
  }
  const written = new Map(tasks.map((w) => [w.next.id, w.next]));
  const enqueue = [...d.enqueue].map((id) => written.get(id)).filter((t): t is Task => t?.status === 'ready');
  return { change: { job, tasks, events: d.events }, enqueue, abort: d.abort };
}

/** Nothing to decide, with the reason. */
export const nothing = (reason: NonNullable<Decision['reason']>): Decision => ({
  change: null,
  enqueue: [],
  abort: [],
  reason,
});
