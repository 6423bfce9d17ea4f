/**
 * The read model of one job (`jobs.get`): every `Job` field at the top level, so code that
 * reads a job keeps working, plus its tasks and the DAG edges between their stages.
 * Derived from a `JobSnapshot` (one store round trip) by a pure function.
 */
import type { JobSnapshot } from './change.js';
import type { ErrorInfo, Job } from './job.js';
import type { JsonValue } from './json.js';
import type { Task, TaskStatus } from './task.js';

/** One task of a job as a host sees it (lease internals left out). Times are epoch milliseconds. */
export interface TaskView {
  id: string;
  stage: string;
  queue: string;
  status: TaskStatus;
  /** The current attempt (starts at 1; a retry or a lost lease starts the next). */
  attempt: number;
  /** Failed attempts so far, of `maxAttempts`. */
  failures: number;
  maxAttempts: number;
  /** Attempts abandoned by a worker that died. */
  lostLeases: number;
  /** False for an optional stage: its failure skips it instead of failing the job. */
  required: boolean;
  /** Stages this one waits for. */
  dependsOn: string[];
  priority: number;
  /** The stage's output as the handler returned it (an artifact URI when it wrote one), or null. */
  output: JsonValue | null;
  error: ErrorInfo | null;
  /** A retry waits until this time (backoff), or null. */
  notBefore: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A DAG edge by stage name: `to` depends on `from`. */
export interface JobEdge {
  from: string;
  to: string;
}

/** `jobs.get`: the job, its tasks in creation order and the edges of its DAG. */
export type JobDetails = Job & {
  tasks: TaskView[];
  edges: JobEdge[];
};

export function taskViewOf(t: Task): TaskView {
  return {
    id: t.id,
    stage: t.stage,
    queue: t.queue,
    status: t.status,
    attempt: t.attempt,
    failures: t.failures,
    maxAttempts: t.maxAttempts,
    lostLeases: t.lostLeases,
    required: t.required,
    dependsOn: [...t.dependsOn],
    priority: t.priority,
    output: t.output,
    error: t.error,
    notBefore: t.notBefore,
    createdAt: t.createdAt,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
  };
}

/** The details of a snapshot: tasks in the snapshot's order, edges by task then `dependsOn` order. */
export function jobDetailsOf(snapshot: JobSnapshot): JobDetails {
  const tasks = snapshot.tasks.map(taskViewOf);
  const edges = snapshot.tasks.flatMap((t) => t.dependsOn.map((from) => ({ from, to: t.stage })));
  return { ...snapshot.job, tasks, edges };
}
