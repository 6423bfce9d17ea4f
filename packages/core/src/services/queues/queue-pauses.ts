/**
 * What this engine's workers know of the queues' pause switches. PostgreSQL (the JobStore)
 * holds the switches; this keeps the set of paused queues in memory, read again every
 * `queuePollMs` while the engine has workers (one small query per engine, not per worker),
 * and at once for a switch this engine wrote itself. Workers lease only queues not in the
 * set and wait on `changed` (aborted at every change) to re-read their queue list, so a
 * pause is honoured by every engine within one poll interval and a resume picks up as
 * fast. A failed read keeps the last known set (logged): a store outage neither pauses
 * nor resumes anything.
 */
import type { DalstonConfig } from '../../config.js';
import { toDalstonError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import type { Closable, EngineRuntime } from '../wiring/runtime.js';

export class QueuePauses implements Closable {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    TOKENS.runtime,
  ] as const;

  private paused = new Set<string>();
  private change = new AbortController();
  private stopping = new AbortController();
  private firstRead: Promise<void> | null = null;
  private polling: Promise<void> | null = null;
  /** Running workers of this engine: the switches are polled while there is one. */
  private users = 0;
  /** Raised by every local write: a read that overlapped one is not trusted. */
  private writes = 0;

  constructor(
    private readonly jobStore: JobStore,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    runtime: EngineRuntime,
  ) {
    runtime.closables.add(this);
  }

  /**
   * A worker starts: polling runs while at least one does (an engine without workers, or
   * whose workers all closed, reads nothing and keeps no timer). Resolves once the first
   * read is done (or failed).
   */
  acquire(): Promise<void> {
    this.users++;
    if (!this.firstRead) {
      this.stopping = new AbortController();
      this.firstRead = this.refresh();
      this.polling = this.poll(this.stopping.signal);
    }
    return this.firstRead;
  }

  /** A worker closed: the last one stops the polling (the next `acquire` reads afresh). */
  release(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    this.stopping.abort();
    this.firstRead = null;
  }

  isPaused(queue: string): boolean {
    return this.paused.has(queue);
  }

  /** Aborts at the next change of the paused set (read it again after each change). */
  get changed(): AbortSignal {
    return this.change.signal;
  }

  /** A switch this engine has just written: its workers honour it now. */
  note(queue: string, paused: boolean): void {
    this.writes++;
    if (this.paused.has(queue) === paused) return;
    const next = new Set(this.paused);
    if (paused) next.add(queue);
    else next.delete(queue);
    this.replace(next);
  }

  /** Reads the switches once; keeps the last known set when the read fails. */
  async refresh(): Promise<void> {
    const writes = this.writes;
    try {
      const controls = await this.jobStore.queueControls();
      if (writes !== this.writes) return; // a local write raced the read: the next poll decides
      this.replace(new Set(controls.filter((c) => c.paused).map((c) => c.queue)));
    } catch (e) {
      this.logger.warn('queue pause switches could not be read; keeping the last known ones', {
        error: toDalstonError(e).message,
      });
    }
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await this.polling;
  }

  private async poll(signal: AbortSignal): Promise<void> {
    await this.firstRead;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(this.config.queuePollMs, signal);
      } catch {
        return;
      }
      if (!signal.aborted) await this.refresh();
    }
  }

  private replace(next: Set<string>): void {
    if (next.size === this.paused.size && [...next].every((q) => this.paused.has(q))) return;
    this.paused = next;
    const previous = this.change;
    this.change = new AbortController();
    previous.abort();
  }
}
