/**
 * MemoryJobStore.createJobs: every job of the call in one synchronous step, so the call is
 * atomic like the PostgreSQL transaction: every input is checked first (ids not taken,
 * idempotency keys resolved, earlier inputs of the call included), then all are written,
 * or none when one check fails.
 */
import type { CreateJobInput, CreateJobResult } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import type { JobStoreState } from './job-store-state.js';
import { conflict } from './store-errors.js';

type Plan = { write: CreateJobInput } | { existing: string };

/** What each input becomes: written, or answered by the job holding its key. Throws CONFLICT. */
function plan(state: JobStoreState, inputs: CreateJobInput[]): Plan[] {
  const keys = new Map<string, string>();
  const jobIds = new Set<string>();
  const taskIds = new Set<string>();
  return inputs.map(({ job, tasks, events }) => {
    if (job.idempotencyKey != null) {
      const key = `${job.tenantId}\u0000${job.idempotencyKey}`;
      const existing = keys.get(key) ?? state.jobIdForKey(job.tenantId, job.idempotencyKey);
      if (existing !== undefined) return { existing };
      keys.set(key, job.id);
    }
    if (state.jobs.has(job.id) || jobIds.has(job.id)) {
      throw conflict('jobStore', 'createJobs', `job ${job.id} already exists`);
    }
    jobIds.add(job.id);
    for (const task of tasks) {
      if (state.tasks.has(task.id) || taskIds.has(task.id)) {
        throw conflict('jobStore', 'createJobs', `task ${task.id} already exists`);
      }
      taskIds.add(task.id);
    }
    return { write: { job, tasks, events } };
  });
}

/** Creates the jobs of `inputs` (the caller's values are copied first), all or none. */
export function createJobs(state: JobStoreState, inputs: CreateJobInput[]): CreateJobResult[] {
  const plans = plan(state, copy(inputs));
  const created = new Map<number, CreateJobResult>();
  plans.forEach((p, i) => {
    if (!('write' in p)) return;
    const { job, tasks, events } = p.write;
    state.insertJob(job, tasks);
    const recorded = state.appendEvents(events);
    created.set(i, { created: true, snapshot: state.snapshot(job.id)!, events: recorded });
  });
  return plans.map(
    (p, i) =>
      created.get(i) ?? { created: false, snapshot: state.snapshot((p as { existing: string }).existing)! },
  );
}
