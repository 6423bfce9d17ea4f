import type { JsonObject } from './json.js';

export const EVENT_TYPES = [
  'job.created',
  /**
   * No longer emitted: the job's first `task.started` carries `jobStarted: true` instead.
   * Kept so event logs written by earlier versions still read back.
   */
  'job.started',
  'job.completed',
  'job.failed',
  'job.cancelling',
  'job.cancelled',
  'job.purged',
  /** A failed job was retried by an explicit command (back to pending). */
  'job.retrying',
  'task.ready',
  'task.started',
  'task.progress',
  'task.completed',
  'task.failed',
  'task.retrying',
  'task.skipped',
  'task.cancelled',
  'session.started',
  'session.updated',
  'session.ended',
  'session.interrupted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as core decides it, before a store gives it an id. */
export interface NewEvent {
  type: EventType;
  tenantId: string;
  /** Null for events that do not belong to a job (sessions). */
  jobId: string | null;
  taskId: string | null;
  sessionId: string | null;
  payload: JsonObject;
  correlationId: string | null;
  /** Epoch milliseconds. */
  at: number;
}

/**
 * An event as recorded in the event log. `id` is a positive integer that increases with
 * every event a store records; for one job, ids are in commit order (job updates are
 * serialised), so "events of job J after id N" never misses one.
 */
export interface DalstonEvent extends NewEvent {
  id: number;
}
