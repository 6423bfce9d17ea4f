/**
 * What redriving or discarding one dead letter does to its task, decided on the JobStore
 * (the source of truth) and written through core's transitions:
 *
 * - **redrive** gives the task a new attempt. A task still `ready`/`running` at the
 *   letter's attempt (the reconciler has not failed it yet) becomes `ready` as a new
 *   attempt with fresh counters (`redrive` decision). A task that failed at that attempt
 *   and failed its job is redriven by retrying the job exactly like `jobs.retry` (its
 *   concurrent-job slot taken again, every unfinished task a new attempt, the job back to
 *   `pending` and `running` at its first start). A task that moved on (a later attempt,
 *   or completed) leaves nothing to redrive: the letter is removed (`superseded`). Anything
 *   else is refused with INVALID_TRANSITION saying why (an optional task skipped while its
 *   job went on, a job cancelled or failed by another task: `jobs.retry` or `discard`);
 *   the letter stays. The letter is removed only after the new attempt is written, so a
 *   crash in between leaves a `superseded` letter that the next redrive clears.
 * - **discard** first does what the reconciler would (fails the task, `DEAD_LETTERED`, when
 *   the letter is for its current, unfinished attempt), then removes the letter: the task
 *   stays failed; it never waits in `ready` for a message that is gone.
 */

import type { JobSnapshot } from '../../domain/change.js';
import { DalstonError } from '../../domain/errors.js';
import type { Task } from '../../domain/task.js';
import { isTerminalTaskStatus } from '../../domain/task.js';
import type { JobStore } from '../../ports/job-store.js';
import type { DeadLetter, QueueMessage, WorkQueue } from '../../ports/work-queue.js';
import type { JobCommands } from '../jobs/commands.js';
import type { JobTransitions } from '../transitions/job-transitions.js';

/** How a redriven letter's task got its new attempt. */
export type RedriveOutcome = 'requeued' | 'job_retried' | 'superseded';

export interface LetterDeps {
  jobStore: JobStore;
  workQueue: WorkQueue;
  transitions: JobTransitions;
  commands: JobCommands;
}

const refused = (message: string) => new DalstonError('INVALID_TRANSITION', message);

/** How many times a redrive reads again when the task changed under it (a concurrent reconcile). */
const REDRIVE_TRIES = 3;

/** Redrives one letter (see the module comment); rejects with the refusal's DalstonError. */
export async function redriveLetter(deps: LetterDeps, letter: DeadLetter): Promise<RedriveOutcome> {
  const m = letter.message;
  if (!m) throw refused(`dead letter ${letter.id} could not be parsed (no task to redrive); discard it`);
  for (let i = 0; i < REDRIVE_TRIES; i++) {
    const { snapshot, task } = await taskOf(deps.jobStore, letter, m);
    if (task.attempt > m.attempt || task.status === 'completed') {
      await deps.workQueue.removeDeadLetter(letter.queue, letter.id);
      return 'superseded';
    }
    if (task.attempt < m.attempt) {
      throw refused(
        `dead letter ${letter.id} is for attempt ${m.attempt}; task ${task.id} is at ${task.attempt}`,
      );
    }
    if (snapshot.job.status === 'failed' && task.status === 'failed') {
      const retried = await deps.commands.retry(m.tenantId, m.jobId);
      if (retried.isErr()) throw retried.error;
      await deps.workQueue.removeDeadLetter(letter.queue, letter.id);
      return 'job_retried';
    }
    const live = task.status === 'ready' || task.status === 'running';
    if (!live || (snapshot.job.status !== 'pending' && snapshot.job.status !== 'running')) {
      throw refused(
        `task ${task.id} (stage ${task.stage}) is ${task.status} in a ${snapshot.job.status} job: only a task not yet failed, or one that failed its job, can be redriven (jobs.retry retries a failed job; discard removes the letter)`,
      );
    }
    const outcome = await deps.transitions.apply(m.jobId, {
      kind: 'redrive',
      taskId: task.id,
      attempt: m.attempt,
    });
    if (outcome.applied) {
      await deps.workQueue.removeDeadLetter(letter.queue, letter.id);
      return 'requeued';
    }
  }
  throw refused(`task ${m.taskId} kept changing while dead letter ${letter.id} was redriven; try again`);
}

/** Discards one letter, failing its task first when it is still unfinished at the letter's attempt. */
export async function discardLetter(deps: LetterDeps, letter: DeadLetter): Promise<boolean> {
  const m = letter.message;
  if (m) {
    const snapshot = await deps.jobStore.getSnapshot(m.tenantId, m.jobId);
    const task = snapshot?.tasks.find((t) => t.id === m.taskId);
    if (task && task.attempt === m.attempt && !isTerminalTaskStatus(task.status)) {
      await deps.transitions.apply(m.jobId, { kind: 'deadLettered', taskId: task.id, reason: letter.reason });
    }
  }
  return deps.workQueue.removeDeadLetter(letter.queue, letter.id);
}

async function taskOf(
  jobStore: JobStore,
  letter: DeadLetter,
  m: QueueMessage,
): Promise<{ snapshot: JobSnapshot; task: Task }> {
  const snapshot = await jobStore.getSnapshot(m.tenantId, m.jobId);
  const task = snapshot?.tasks.find((t) => t.id === m.taskId);
  if (!snapshot || !task) {
    throw new DalstonError(
      'NOT_FOUND',
      `job ${m.jobId} of dead letter ${letter.id} no longer exists; discard the letter`,
    );
  }
  return { snapshot, task };
}
