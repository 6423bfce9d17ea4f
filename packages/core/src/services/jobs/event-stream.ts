/**
 * jobs.events: a job's events as an async iterable, resumable by event id.
 *
 * The event log is the source of truth; the EventBus only says "something new". The
 * stream subscribes first (so nothing published meanwhile is missed), then reads the log
 * after the cursor in pages; each bus message, and a periodic timer as a fallback for
 * lost messages, triggers another read after the last id yielded. Reading the log rather
 * than yielding bus payloads keeps the stream gap-free: a job's events get ids in commit
 * order, but two processes may publish them out of order. Ends after the job's terminal
 * event, or when the signal aborts.
 */
import type { DalstonEvent } from '../../domain/events.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus, Subscription } from '../../ports/event-bus.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';

const PAGE = 500;
const MAX_READ_FAILURES = 5;
const TERMINAL = new Set(['job.completed', 'job.failed', 'job.cancelled']);

export interface EventStreamDeps {
  jobStore: JobStore;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  pollMs: number;
}

export interface EventStreamOptions {
  /** Yield only events with id > after (the last id a previous stream yielded). */
  after?: number;
  signal?: AbortSignal;
}

class Wakeup {
  private pending = false;
  private waiter: (() => void) | null = null;

  notify = (): void => {
    this.pending = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  };

  /** Resolves on notify, after `ms` of the clock, or when the signal aborts. */
  async wait(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending || signal?.aborted) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const cancel = clock.setTimer(() => this.notify(), ms);
      const onAbort = () => this.notify();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = () => {
        cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
    this.pending = false;
  }
}

export async function* jobEventStream(
  deps: EventStreamDeps,
  tenantId: string,
  jobId: string,
  options: EventStreamOptions = {},
): AsyncGenerator<DalstonEvent, void, undefined> {
  const wake = new Wakeup();
  const sub = await subscribe(deps, tenantId, jobId, wake.notify);
  let last = options.after ?? 0;
  let failures = 0;
  try {
    while (!options.signal?.aborted) {
      let page: DalstonEvent[];
      try {
        page = await deps.jobStore.readEvents({ tenantId, jobId, after: last, limit: PAGE });
        failures = 0;
      } catch (e) {
        if (++failures >= MAX_READ_FAILURES) throw e;
        await wake.wait(deps.clock, deps.pollMs, options.signal);
        continue;
      }
      for (const event of page) {
        if (event.id <= last) continue;
        last = event.id;
        yield event;
        if (TERMINAL.has(event.type)) return;
        if (options.signal?.aborted) return;
      }
      if (page.length === 0 && (await finished(deps, tenantId, jobId))) return;
      if (page.length < PAGE) await wake.wait(deps.clock, deps.pollMs, options.signal);
    }
  } finally {
    await sub?.unsubscribe().catch(() => undefined);
  }
}

/** True when the job is gone or terminal: with nothing left after the cursor, nothing more will come. */
async function finished(deps: EventStreamDeps, tenantId: string, jobId: string): Promise<boolean> {
  const job = await deps.jobStore.getJob(tenantId, jobId).catch(() => undefined);
  if (job === undefined) return false;
  return job === null || TERMINAL.has(`job.${job.status}`);
}

async function subscribe(
  deps: EventStreamDeps,
  tenantId: string,
  jobId: string,
  notify: () => void,
): Promise<Subscription | null> {
  try {
    return await deps.bus.subscribe({ tenantId, jobId }, notify);
  } catch (e) {
    deps.logger.warn('event bus subscribe failed; the stream polls the log', {
      jobId,
      error: e instanceof Error ? e.message : String(e),
    });
    return null;
  }
}
