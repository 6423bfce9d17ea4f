/**
 * Handlers that outlived their attempt: the attempt was stopped (timeout, cancel, lost
 * lease, failed job, shutdown) and its outcome recorded, but the handler ignored its
 * signal and still runs. Each keeps its worker slot until it returns, so a worker never
 * runs more handlers than its concurrency; each is reported once (a warn log with its
 * job, task and correlation id, and a counter); at the close deadline the worker stops
 * waiting for them and logs each one it leaves behind.
 */
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { OverdueHandler } from './attempt-runner.js';

export interface HeldHandler {
  handler: OverdueHandler;
  since: number;
  settled: boolean;
  reported: boolean;
}

export class OverdueHandlers {
  /** Handlers reported overdue since the worker started. */
  total = 0;
  /** Overdue handlers the worker stopped waiting for at its close deadline. */
  abandoned = 0;
  private readonly held = new Set<HeldHandler>();
  private readonly gaveUp: Promise<void>;
  private giveUp!: () => void;

  /**
   * @param quietMs how long a handler may take to settle after its attempt ended before it
   * is reported (isolated handlers: the time their thread takes to be terminated).
   */
  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly quietMs = 0,
  ) {
    this.gaveUp = new Promise((r) => {
      this.giveUp = r;
    });
  }

  /** Handlers running now whose attempt already ended. */
  get size(): number {
    return this.held.size;
  }

  /** Takes the slot of a handler whose attempt ended while it still runs. */
  hold(handler: OverdueHandler): HeldHandler {
    const held: HeldHandler = { handler, since: this.clock.now(), settled: false, reported: false };
    this.held.add(held);
    void handler.settled.then(() => {
      held.settled = true;
      this.held.delete(held);
      if (held.reported) {
        this.logger.info('overdue handler returned; its worker slot is free again', {
          ...fieldsOf(handler),
          overdueMs: this.clock.now() - held.since,
        });
      }
    });
    return held;
  }

  /**
   * Once the attempt's outcome is recorded: reports the handler if it still runs, then
   * waits until it returns, or until the worker gives up on it (close deadline).
   */
  async waitFor(held: HeldHandler): Promise<void> {
    if (this.quietMs > 0 && !held.settled) await this.quietly(held);
    if (held.settled) return;
    held.reported = true;
    this.total++;
    this.logger.warn(
      'handler ignored its signal and still runs after its attempt ended; its worker slot stays taken until it returns',
      fieldsOf(held.handler),
    );
    await Promise.race([held.handler.settled, this.gaveUp]);
    if (held.settled) return;
    this.abandoned++;
    this.logger.warn('worker closed while an overdue handler still runs; it is left running, unwatched', {
      ...fieldsOf(held.handler),
      overdueMs: this.clock.now() - held.since,
    });
  }

  private async quietly(held: HeldHandler): Promise<void> {
    const done = new AbortController();
    const quiet = this.clock.sleep(this.quietMs, done.signal).catch(() => undefined);
    await Promise.race([held.handler.settled, quiet]); // even past the close deadline: a thread ends fast
    done.abort();
  }

  /** The close deadline passed: stop waiting for overdue handlers (now and from now on). */
  abandonAll(): void {
    this.giveUp();
  }
}

const fieldsOf = (h: OverdueHandler) => ({
  correlationId: h.correlationId,
  jobId: h.jobId,
  taskId: h.taskId,
  stage: h.stage,
  attempt: h.attempt,
  reason: h.reason,
});
