/** How core values are shown to HTTP clients: ISO times, no storage URIs or hashes. */
import type { ApiKeyInfo, DalstonEvent, Job, JobDetails, TaskView } from '@dalston/core';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: Job) {
  return {
    id: job.id,
    status: job.status,
    parameters: job.parameters,
    hasInput: job.input !== null,
    idempotencyKey: job.idempotencyKey,
    retentionDays: job.retentionDays,
    error: job.error,
    correlationId: job.correlationId,
    createdAt: iso(job.createdAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    purgeAfter: iso(job.purgeAfter),
    purgedAt: iso(job.purgedAt),
    links: {
      self: `/v1/jobs/${job.id}`,
      events: `/v1/jobs/${job.id}/events`,
      result: `/v1/jobs/${job.id}/result`,
    },
  };
}

/**
 * One task of a job. Its output is not shown (the example's outputs hold storage URIs);
 * `hasOutput` says whether there is one, and the job's `result` link serves the transcript.
 */
export function taskView(task: TaskView) {
  return {
    id: task.id,
    stage: task.stage,
    queue: task.queue,
    status: task.status,
    attempt: task.attempt,
    failures: task.failures,
    maxAttempts: task.maxAttempts,
    required: task.required,
    dependsOn: task.dependsOn,
    error: task.error,
    hasOutput: task.output !== null,
    createdAt: iso(task.createdAt),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
  };
}

/** GET /v1/jobs/:id: the job with its tasks and the DAG's edges (stage names). */
export function jobDetailsView(details: JobDetails) {
  return { ...jobView(details), tasks: details.tasks.map(taskView), edges: details.edges };
}

export function keyView(key: ApiKeyInfo) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    createdAt: iso(key.createdAt),
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
  };
}

export function eventView(event: DalstonEvent) {
  return {
    id: event.id,
    type: event.type,
    jobId: event.jobId,
    taskId: event.taskId,
    payload: event.payload,
    at: iso(event.at),
  };
}
