/**
 * jobs.events: a job's events as an async iterable, resumable by event id.
 *
 * The event log is the source of truth; the EventBus only says "something new". The
 * stream subscribes first (so nothing published meanwhile is missed), then reads the log
 * after the cursor in pages; each bus message, and a periodic timer as a fallback for
 * lost messages, triggers another read after the last id yielded. Reading the log rather
 * than yielding bus payloads keeps the stream gap-free: a job's events get ids in commit
 * order, but two processes may publish them out of order.
 *
 * Ends when the job is terminal and a read of the log begun after that was seen finds
 * nothing new, or when the signal aborts. "Seen terminal" is either the last event read
 * being terminal or a read of the job showing it terminal (or gone); a terminal transition
 * commits its events with the status, so the closing read always yields them. A terminal
 * event followed by more (an explicit retry of a failed job) does not end the stream.
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
  const log = new LogCursor(deps, tenantId, jobId, options.after ?? 0);
  // True when, before the read in progress, the job was seen terminal (its last yielded
  // event was terminal, or a read of the job said so). A terminal transition commits its
  // events and status together, possibly just after a read of the log came back empty and
  // before the read of the job: so the stream ends only when a read of the log that
  // started after the job was seen terminal finds nothing new.
  let settled = false;
  try {
    while (!options.signal?.aborted) {
      const page = await log.next(wake, options.signal);
      if (page === null) continue;
      for (const event of page.events) {
        yield event;
        if (options.signal?.aborted) return;
      }
      if (page.full) continue;
      const empty = page.events.length === 0;
      if (empty && settled) return;
      settled = log.lastTerminal() || (empty && (await finished(deps, tenantId, jobId)));
      if (!settled) await wake.wait(deps.clock, deps.pollMs, options.signal);
    }
  } finally {
    await sub?.unsubscribe().catch(() => undefined);
  }
}

/** Reads the log after the last event yielded, in pages; tolerates a few failed reads in a row. */
class LogCursor {
  private last: number;
  private lastType: string | null = null;
  private failures = 0;

  constructor(
    private readonly deps: EventStreamDeps,
    private readonly tenantId: string,
    private readonly jobId: string,
    after: number,
  ) {
    this.last = after;
  }

  /** The next page (events after the cursor), or null after a failed read (retried after a wait). */
  async next(wake: Wakeup, signal?: AbortSignal): Promise<{ events: DalstonEvent[]; full: boolean } | null> {
    let page: DalstonEvent[];
    try {
      page = await this.deps.jobStore.readEvents({
        tenantId: this.tenantId,
        jobId: this.jobId,
        after: this.last,
        limit: PAGE,
      });
      this.failures = 0;
    } catch (e) {
      if (++this.failures >= MAX_READ_FAILURES) throw e;
      await wake.wait(this.deps.clock, this.deps.pollMs, signal);
      return null;
    }
    const fresh = page.filter((e) => e.id > this.last);
    const tail = fresh.at(-1);
    if (tail) {
      this.last = tail.id;
      this.lastType = tail.type;
    }
    return { events: fresh, full: page.length === PAGE };
  }

  /** True when the last event read is the job's terminal event (a retry may still follow). */
  lastTerminal(): boolean {
    return this.lastType !== null && TERMINAL.has(this.lastType);
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
