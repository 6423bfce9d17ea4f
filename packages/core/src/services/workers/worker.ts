/**
 * A worker: `concurrency` loops that each lease a message from the worker's queues and
 * run it to the end. Errors it meets (a store down) are logged and retried with a small
 * backoff; a loop never dies. A loop is a slot: a handler that outlives its attempt (it
 * ignored its signal) keeps its loop until it returns, so no more than `concurrency`
 * handlers ever run. `close()` stops leasing, waits for running attempts (and overdue
 * handlers) up to a deadline, then stops them and hands their messages back.
 */
import { setMaxListeners } from 'node:events';
import { toDalstonError } from '../../domain/errors.js';
import type { Task } from '../../domain/task.js';
import type { Lease } from '../../ports/work-queue.js';
import type { QueuePauses } from '../queues/queue-pauses.js';
import type { Closable } from '../wiring/runtime.js';
import { AttemptRunner, type RunnerDeps } from './attempt-runner.js';
import type { TaskHandler } from './context.js';
import type { StopReason } from './heartbeat.js';
import { type HeldHandler, OverdueHandlers } from './overdue-handlers.js';

/** What a worker is doing now (read it any time; cheap, synchronous). */
export interface WorkerStats {
  concurrency: number;
  /** Handlers running now, overdue ones included. Never above `concurrency`. */
  running: number;
  /**
   * Handlers still running after their attempt ended: stopped by a timeout, a cancel, a
   * lost lease or a shutdown, they ignored `ctx.signal`. Each holds its slot until it returns.
   */
  overdueHandlers: number;
  /** Handlers reported overdue since the worker started (each also logged once at warn). */
  overdueTotal: number;
  /** Overdue handlers still running when `close()` reached its deadline (left running, unwatched). */
  abandonedHandlers: number;
}

export interface Worker {
  readonly id: string;
  readonly queues: readonly string[];
  /** Handlers running now, overdue ones included (`stats().running`). */
  readonly running: number;
  readonly closed: boolean;
  /** Counters of running and overdue handlers. */
  stats(): WorkerStats;
  /**
   * Stops leasing, lets running attempts and overdue handlers finish for up to
   * `deadlineMs` (default 30 000, wall-clock), then aborts the attempts and hands their
   * messages back; overdue handlers still running are logged and left behind (isolated
   * ones are terminated). Idempotent; never rejects.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export interface WorkerSettings {
  id: string;
  queues: string[];
  concurrency: number;
  waitMs: number;
  handlers: Record<string, TaskHandler>;
  handler?: TaskHandler;
  /** Routes tasks by job type and stage (typed handlers); replaces `handlers`/`handler`. */
  handlerFor?: RunnerDeps['handlerFor'];
  /** How long a stopped handler may take to return before it is reported overdue. Default 0. */
  overdueAfterMs?: number;
  /** Runs once the worker has drained (e.g. terminates isolation threads). Never rejects. */
  dispose?: () => Promise<void>;
}

const MAX_ERROR_BACKOFF_MS = 5000;

export class WorkerLoop implements Worker, Closable {
  private readonly stopping = new AbortController();
  private readonly attempts = new Map<symbol, (r: StopReason) => void>();
  /** Stoppable steps that run no handler (the recording of an overdue handler's attempt). */
  private readonly uncounted = new Map<symbol, (r: StopReason) => void>();
  private readonly loops: Promise<void>[] = [];
  private readonly runner: AttemptRunner;
  private readonly overdue: OverdueHandlers;
  private closing: Promise<void> | null = null;

  /** The lease wait's signal: aborts at a stop or at a change of the paused queues. */
  private leaseStop: { changed: AbortSignal; signal: AbortSignal } | null = null;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly deps: Omit<RunnerDeps, 'handlerFor'>,
    private readonly pauses: QueuePauses,
  ) {
    // Every loop waits on this signal (a lease wait or a backoff pause): one listener each.
    setMaxListeners(Math.max(10, 2 * settings.concurrency + 10), this.stopping.signal);
    this.runner = new AttemptRunner({
      ...deps,
      deferAck: deps.workQueue.capabilities.ackAndLease,
      handlerFor: settings.handlerFor ?? ((task: Task) => settings.handlers[task.stage] ?? settings.handler),
    });
    this.overdue = new OverdueHandlers(deps.logger, deps.clock, settings.overdueAfterMs);
  }

  get id(): string {
    return this.settings.id;
  }
  get queues(): readonly string[] {
    return this.settings.queues;
  }
  get running(): number {
    return this.attempts.size + this.overdue.size;
  }
  private pausesRead: Promise<void> | null = null;

  get closed(): boolean {
    return this.closing !== null;
  }

  stats(): WorkerStats {
    return {
      concurrency: this.settings.concurrency,
      running: this.running,
      overdueHandlers: this.overdue.size,
      overdueTotal: this.overdue.total,
      abandonedHandlers: this.overdue.abandoned,
    };
  }

  start(): this {
    // The engine reads the pause switches while it has a running worker (not after the last closes).
    this.pausesRead = this.pauses.acquire();
    for (let i = 0; i < this.settings.concurrency; i++) this.loops.push(this.loop());
    return this;
  }

  close(options: { deadlineMs?: number } = {}): Promise<void> {
    this.closing ??= this.drain(options.deadlineMs ?? 30_000);
    return this.closing;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    let done: Lease | null = null; // finished, still to ack (only when the queue acks with the next lease)
    await this.pausesRead;
    while (!this.stopping.signal.aborted) {
      let lease: Lease | null;
      try {
        lease = await this.next(done);
        done = null;
        failures = 0;
      } catch (e) {
        failures++;
        this.deps.logger.warn('lease failed; backing off', {
          worker: this.id,
          error: toDalstonError(e).message,
        });
        await this.pause(Math.min(MAX_ERROR_BACKOFF_MS, 50 * 2 ** Math.min(failures, 7)));
        continue;
      }
      if (!lease) continue;
      if (this.stopping.signal.aborted) {
        await this.handBackUnstarted(lease);
        break;
      }
      if (this.pauses.isPaused(lease.message.queue)) {
        // Leased by a wait that began before the pause was known: hand it back unstarted.
        await this.handBackUnstarted(lease);
        continue;
      }
      const overdue: { held?: HeldHandler } = {};
      done = await this.runner.run(
        lease,
        (stop, options) => this.register(stop, options),
        (h) => {
          overdue.held = this.overdue.hold(h);
        },
      );
      if (overdue.held) {
        // The outcome is recorded: ack now, then keep this slot until the handler returns.
        if (done) await this.runner.ack(done);
        done = null;
        await this.overdue.waitFor(overdue.held);
      }
    }
    if (done) await this.runner.ack(done);
  }

  /**
   * The next lease from the worker's queues that are not paused; acks `done` in the same
   * call when the queue supports it. With every queue paused, acks `done` and waits for a
   * change of the pause switches (or the stop), then resolves null.
   */
  private async next(done: Lease | null): Promise<Lease | null> {
    const { workQueue } = this.deps;
    const queues = this.settings.queues.filter((q) => !this.pauses.isPaused(q));
    const signal = this.leaseSignal();
    if (queues.length === 0) {
      if (done) await this.runner.ack(done);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return null;
    }
    const options = { leaseMs: this.deps.leaseMs, waitMs: this.settings.waitMs, signal };
    if (!done) return workQueue.lease(queues, options);
    const ref = { queue: done.message.queue, messageId: done.message.id, token: done.token };
    return (await workQueue.ackAndLease!(ref, queues, options)).lease;
  }

  /** Stop or a change of the paused queues (one combined signal per change, shared by the loops). */
  private leaseSignal(): AbortSignal {
    const changed = this.pauses.changed;
    if (this.leaseStop?.changed !== changed) {
      this.leaseStop = { changed, signal: AbortSignal.any([this.stopping.signal, changed]) };
      setMaxListeners(Math.max(10, 2 * this.settings.concurrency + 10), this.leaseStop.signal);
    }
    return this.leaseStop.signal;
  }

  private register(stop: (r: StopReason) => void, options: { counted?: boolean } = {}): () => void {
    const key = Symbol('attempt');
    const into = options.counted === false ? this.uncounted : this.attempts;
    into.set(key, stop);
    return () => into.delete(key);
  }

  private async drain(deadlineMs: number): Promise<void> {
    this.stopping.abort();
    const all = Promise.all(this.loops).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), Math.max(0, deadlineMs));
      timer.unref?.();
    });
    const done = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (!done) {
      this.overdue.abandonAll();
      for (const stop of [...this.attempts.values(), ...this.uncounted.values()]) stop('shutdown');
      await all;
    }
    if (this.pausesRead) this.pauses.release();
    await this.settings.dispose?.().catch(() => undefined);
  }

  private async handBackUnstarted(lease: Lease): Promise<void> {
    await this.deps.workQueue
      .release(lease.message.queue, lease.message.id, lease.token, { delayMs: 0 })
      .catch(() => false);
  }

  private async pause(ms: number): Promise<void> {
    await this.deps.clock.sleep(ms, this.stopping.signal).catch(() => undefined);
  }
}
