/**
 * JobStore rules. Records (`createJob`, `appendEvents`, `markPurged` events) are refused
 * when they hold text no store can keep; paging and scans take `limit` 1..1000. Reads by
 * id are not checked: an id no store can hold is a miss (null), never an error. The
 * formats of cursors and ready marks belong to each adapter, which refuses foreign ones.
 */
import type { JobStore } from '../../ports/job-store.js';
import {
  array,
  epochMs,
  integer,
  nonEmptyString,
  object,
  pageLimit,
  positiveInt,
  positiveMs,
  storableText,
  string,
} from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

/** Events appended outside a job write: storable, and naming no job (those go with the job's write). */
function checkLooseEvents(events: unknown, field = 'events'): void {
  array(events, field, 'events');
  events.forEach((e, i) => {
    object(e, `${field}.${i}`, 'an event');
    if (e.jobId != null)
      throw argumentError(`${field}.${i}.jobId`, 'job events go through createJob/updateJob');
  });
  storableText(events, field);
}

function checkListJobs(query: unknown): void {
  object(query, 'query', 'a query { tenantId, limit, ... }');
  string(query.tenantId, 'tenantId');
  pageLimit(query.limit);
  if (query.status !== undefined) array(query.status, 'status', 'job statuses');
  if (query.createdFrom !== undefined) epochMs(query.createdFrom, 'createdFrom');
  if (query.createdTo !== undefined) epochMs(query.createdTo, 'createdTo');
  if (query.cursor != null) string(query.cursor, 'cursor');
}

function checkReadEvents(query: unknown): void {
  object(query, 'query', 'a query { tenantId, limit, ... }');
  string(query.tenantId, 'tenantId');
  pageLimit(query.limit);
  if (query.after !== undefined) integer(query.after, 'after');
}

export const jobStoreRules: PortRules<JobStore> = {
  createJob: {
    check: ([input]) => {
      object(input, 'input', '{ job, tasks, events }');
      object(input.job, 'job', 'a job record');
      array(input.tasks, 'tasks', 'task records');
      array(input.events, 'events', 'events');
      storableText(input, 'input');
    },
  },
  getJob: {},
  getJobByIdempotencyKey: {},
  getSnapshot: {},
  peekSnapshot: {},
  updateJob: {
    check: ([jobId, decide]) => {
      string(jobId, 'jobId');
      if (typeof decide !== 'function') throw argumentError('decide', 'must be a function');
    },
    callback: 1,
  },
  extendLease: {
    check: ([taskId, attempt, leaseToken, leaseExpiresAt]) => {
      string(taskId, 'taskId');
      positiveInt(attempt, 'attempt');
      string(leaseToken, 'leaseToken');
      epochMs(leaseExpiresAt, 'leaseExpiresAt');
    },
  },
  appendEvents: { check: ([events]) => checkLooseEvents(events) },
  listJobs: { check: ([query]) => checkListJobs(query) },
  readEvents: { check: ([query]) => checkReadEvents(query) },
  unpublishedEvents: {
    check: ([before, limit]) => {
      epochMs(before, 'before');
      pageLimit(limit);
    },
  },
  markPublished: {
    check: ([ids]) => {
      array(ids, 'ids', 'event ids');
      for (const [i, id] of ids.entries()) integer(id, `ids.${i}`);
    },
  },
  findReadyTasks: {
    check: ([limit, afterTaskId, options]) => {
      pageLimit(limit);
      if (afterTaskId != null) string(afterTaskId, 'afterTaskId');
      if (options !== undefined) {
        object(options, 'options', '{ changedSince? }');
        if (options.changedSince !== undefined) string(options.changedSince, 'options.changedSince');
      }
    },
  },
  readyMark: {},
  findExpiredLeases: {
    check: ([now, limit]) => {
      epochMs(now, 'now');
      pageLimit(limit);
    },
  },
  nonTerminalJobIds: {},
  tenantsWithActiveJobs: {},
  findJobsDueForPurge: {
    check: ([now, limit, after]) => {
      epochMs(now, 'now');
      pageLimit(limit);
      if (after !== undefined) {
        object(after, 'after', 'a cursor { purgeAfter, id }');
        epochMs(after.purgeAfter, 'after.purgeAfter');
        string(after.id, 'after.id');
      }
    },
  },
  markPurged: {
    check: ([jobId, purgedAt, events]) => {
      string(jobId, 'jobId');
      epochMs(purgedAt, 'purgedAt');
      if (events !== undefined) {
        array(events, 'events', 'events');
        storableText(events, 'events');
      }
    },
  },
  deleteExpiredJobRows: {
    check: ([finishedBefore, limit, after]) => {
      epochMs(finishedBefore, 'finishedBefore');
      pageLimit(limit);
      if (after != null) {
        object(after, 'after', 'a cursor { finishedAt, id }');
        string(after.id, 'after.id');
      }
    },
  },
  createJobs: {
    check: ([inputs]) => {
      array(inputs, 'inputs', 'job inputs');
      if (inputs.length > 1000) throw argumentError('inputs', 'at most 1000 jobs in one call');
      inputs.forEach((input, i) => {
        object(input, `inputs.${i}`, '{ job, tasks, events }');
      });
      storableText(inputs, 'inputs');
    },
  },
  // Schedules: the service validates them (cron, time zone, parameters) before they get here.
  upsertSchedule: {
    check: ([schedule]) => {
      object(schedule, 'schedule', 'a schedule record');
      nonEmptyString(schedule.id, 'schedule.id');
      storableText(schedule, 'schedule');
    },
  },
  getSchedule: {},
  listSchedules: {
    check: ([limit, afterId]) => {
      pageLimit(limit);
      if (afterId != null) string(afterId, 'afterId');
    },
  },
  setSchedulePaused: { check: ([id]) => string(id, 'id') },
  deleteSchedule: {},
  dueSchedules: {
    check: ([now, limit]) => {
      epochMs(now, 'now');
      pageLimit(limit);
    },
  },
  claimScheduleTick: { check: ([claim]) => object(claim, 'claim', 'a tick claim') },
  settleScheduleTick: {
    check: ([settle]) => {
      object(settle, 'settle', 'a tick outcome');
      storableText(settle, 'settle');
    },
  },
  pendingScheduleTicks: { check: ([limit]) => pageLimit(limit) },
  listScheduleTicks: {
    check: ([scheduleId, limit]) => {
      string(scheduleId, 'scheduleId');
      pageLimit(limit);
    },
  },
  setQueuePaused: {
    check: ([queue, paused, at]) => {
      nonEmptyString(queue, 'queue');
      if (typeof paused !== 'boolean') throw argumentError('paused', 'must be a boolean');
      epochMs(at, 'at');
    },
  },
  queueControls: {},
  deleteJob: {},
  existingJobIds: { check: ([jobIds]) => array(jobIds, 'jobIds', 'job ids') },
  exclusive: {
    check: ([name, options, fn]) => {
      nonEmptyString(name, 'name');
      object(options, 'options', '{ ttlMs }');
      positiveMs(options.ttlMs, 'ttlMs');
      if (typeof fn !== 'function') throw argumentError('fn', 'must be a function');
    },
    callback: 2,
  },
  ping: {},
  close: {},
};
