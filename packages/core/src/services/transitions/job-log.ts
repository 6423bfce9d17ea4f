/**
 * The engine's log lines about a job: every one names the tenant, the job and its
 * correlation id, so a host can follow one request through its logs. Committed events an
 * operator wants to see (a failed attempt that will be retried, a task or job that failed,
 * a cancellation, a completion) get one line each, written after the commit.
 */
import type { DalstonEvent, EventType } from '../../domain/events.js';
import type { Logger } from '../../ports/logger.js';

/** The fields every log line about a job carries. */
export const jobLogFields = (job: {
  id: string;
  tenantId: string;
  correlationId: string | null;
}): Record<string, unknown> => ({ tenantId: job.tenantId, jobId: job.id, correlationId: job.correlationId });

const LINES: Partial<Record<EventType, { level: 'debug' | 'info' | 'warn'; message: string }>> = {
  'task.retrying': { level: 'info', message: 'task attempt ended; the task will be retried' },
  'task.failed': { level: 'warn', message: 'task failed' },
  'job.failed': { level: 'warn', message: 'job failed' },
  'job.cancelled': { level: 'info', message: 'job cancelled' },
  'job.completed': { level: 'debug', message: 'job completed' },
};

/** Payload fields worth a log field (engine-written scalars; never handler output). */
const PAYLOAD_FIELDS = ['stage', 'attempt', 'reason', 'errorCode', 'delayMs'] as const;

/** One line per committed event of a kind in LINES. */
export function logJobEvents(logger: Logger, events: readonly DalstonEvent[]): void {
  for (const e of events) {
    const line = LINES[e.type];
    if (!line || e.jobId === null) continue;
    const fields: Record<string, unknown> = {
      tenantId: e.tenantId,
      jobId: e.jobId,
      correlationId: e.correlationId,
      eventId: e.id,
    };
    if (e.taskId !== null) fields.taskId = e.taskId;
    for (const k of PAYLOAD_FIELDS) if (e.payload[k] !== undefined) fields[k] = e.payload[k];
    logger[line.level](line.message, fields);
  }
}

/** The job fields of a batch of events when they all belong to one job, else none. */
export function eventsJobFields(events: readonly DalstonEvent[]): Record<string, unknown> {
  const first = events[0];
  if (!first || first.jobId === null || events.some((e) => e.jobId !== first.jobId)) return {};
  return { tenantId: first.tenantId, jobId: first.jobId, correlationId: first.correlationId };
}
