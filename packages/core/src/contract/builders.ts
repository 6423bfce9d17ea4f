/**
 * Data builders for the store contract suites: whole domain objects with sensible
 * defaults, built by hand (no domain rules involved), and overrides for what a test
 * cares about. Ids are time-ordered and random, so tests never collide.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRecord } from '../domain/api-key.js';
import type { JobWrite, TaskWrite } from '../domain/change.js';
import type { NewEvent } from '../domain/events.js';
import type { Job } from '../domain/job.js';
import type { SessionRecord } from '../domain/session.js';
import type { Task } from '../domain/task.js';
import type { Tenant } from '../domain/tenant.js';
import { timeOrderedIds } from '../runtime/ids.js';

const ids = timeOrderedIds();

/** A fresh id such as `job_01JD…`; ids from this generator sort in creation order. */
export const newId = (kind: string): string => ids.next(kind);

/** A fresh tenant id, unique to the calling test. */
export const newTenantId = (): string => `tenant_${randomUUID()}`;

export function makeJob(overrides: Partial<Job> = {}): Job {
  const createdAt = overrides.createdAt ?? Date.now();
  return {
    id: newId('job'),
    tenantId: newTenantId(),
    status: 'pending',
    parameters: { language: 'en' },
    input: null,
    idempotencyKey: null,
    retentionDays: -1,
    purgeAfter: null,
    purgedAt: null,
    error: null,
    correlationId: randomUUID(),
    createdAt,
    startedAt: null,
    finishedAt: null,
    createdByKeyId: null,
    type: 'default',
    traceContext: null,
    version: 1,
    ...overrides,
  };
}

export function makeTask(job: Job, overrides: Partial<Task> = {}): Task {
  return {
    id: newId('task'),
    jobId: job.id,
    tenantId: job.tenantId,
    stage: `stage-${randomBytes(3).toString('hex')}`,
    queue: 'default',
    dependsOn: [],
    required: true,
    status: 'pending',
    attempt: 1,
    failures: 0,
    lostLeases: 0,
    maxAttempts: 3,
    timeoutMs: 300_000,
    backoff: { kind: 'fixed', delayMs: 1000 },
    priority: 0,
    notBefore: null,
    input: null,
    output: null,
    error: null,
    leaseToken: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    createdAt: job.createdAt,
    startedAt: null,
    finishedAt: null,
    version: 1,
    ...overrides,
  };
}

export function makeEvent(job: Job, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    type: 'job.created',
    tenantId: job.tenantId,
    jobId: job.id,
    taskId: null,
    sessionId: null,
    payload: {},
    correlationId: job.correlationId,
    at: job.createdAt,
    ...overrides,
  };
}

/** A session event (no job), for `appendEvents`. */
export function makeSessionEvent(tenantId: string, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    type: 'session.started',
    tenantId,
    jobId: null,
    taskId: null,
    sessionId: newId('sess'),
    payload: {},
    correlationId: null,
    at: Date.now(),
    ...overrides,
  };
}

/** A task write replacing `task` with `patch` applied (version + 1), expecting its current state. */
export function taskWrite(task: Task, patch: Partial<Task> = {}): TaskWrite {
  return {
    expected: { status: task.status, attempt: task.attempt, leaseToken: task.leaseToken },
    next: { ...task, version: task.version + 1, ...patch },
  };
}

/** A job write replacing `job` with `patch` applied (version + 1), expecting its current state. */
export function jobWrite(job: Job, patch: Partial<Job> = {}): JobWrite {
  return {
    expected: { status: job.status, version: job.version },
    next: { ...job, version: job.version + 1, ...patch },
  };
}

export function makeTenant(overrides: Partial<Tenant> = {}): Tenant {
  return {
    id: newTenantId(),
    name: 'Acme Transcription',
    limits: {},
    disabled: false,
    createdAt: Date.now(),
    ...overrides,
  };
}

export function makeApiKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: newId('key'),
    tenantId: newTenantId(),
    name: 'ci key',
    prefix: randomBytes(8).toString('hex'),
    hash: randomBytes(32).toString('hex'),
    scopes: ['jobs:read', 'jobs:write'],
    createdAt: Date.now(),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

export function makeSessionRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: newId('sess'),
    tenantId: newTenantId(),
    status: 'active',
    workerId: null,
    startedAt: Date.now(),
    endedAt: null,
    stats: {},
    artifacts: {},
    error: null,
    ...overrides,
  };
}
