/**
 * A worker: `concurrency` loops that each lease a message from the worker's queues and
 * run it to the end. Errors it meets (a store down) are logged and retried with a small
 * backoff; a loop never dies. `close()` stops leasing, waits for running attempts up to
 * a deadline, then stops them and hands their messages back.
 */
import { setMaxListeners } from 'node:events';
import { toDalstonError } from '../../domain/errors.js';
import type { Task } from '../../domain/task.js';
import type { Lease } from '../../ports/work-queue.js';
import type { Closable } from '../engine/runtime.js';
import { AttemptRunner, type RunnerDeps } from './attempt-runner.js';
import type { TaskHandler } from './context.js';
import type { StopReason } from './heartbeat.js';

export interface Worker {
  readonly id: string;
  readonly queues: readonly string[];
  /** Attempts running now. */
  readonly running: number;
  readonly closed: boolean;
  /**
   * Stops leasing, lets running attempts finish for up to `deadlineMs` (default 30 000,
   * wall-clock), then aborts them and hands their messages back. Idempotent; never rejects.
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
}

const MAX_ERROR_BACKOFF_MS = 5000;

export class WorkerLoop implements Worker, Closable {
  private readonly stopping = new AbortController();
  private readonly attempts = new Map<symbol, (r: StopReason) => void>();
  private readonly loops: Promise<void>[] = [];
  private readonly runner: AttemptRunner;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly deps: Omit<RunnerDeps, 'handlerFor'>,
  ) {
    // Every loop waits on this signal (a lease wait or a backoff pause): one listener each.
    setMaxListeners(Math.max(10, 2 * settings.concurrency + 10), this.stopping.signal);
    this.runner = new AttemptRunner({
      ...deps,
      deferAck: deps.workQueue.capabilities.ackAndLease,
      handlerFor: (task: Task) => settings.handlers[task.stage] ?? settings.handler,
    });
  }

  get id(): string {
    return this.settings.id;
  }
  get queues(): readonly string[] {
    return this.settings.queues;
  }
  get running(): number {
    return this.attempts.size;
  }
  get closed(): boolean {
    return this.closing !== null;
  }

  start(): this {
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
      done = await this.runner.run(lease, (stop) => this.register(stop));
    }
    if (done) await this.runner.ack(done);
  }

  /** The next lease; acks `done` in the same call when the queue supports it. */
  private async next(done: Lease | null): Promise<Lease | null> {
    const { workQueue } = this.deps;
    const options = {
      leaseMs: this.deps.leaseMs,
      waitMs: this.settings.waitMs,
      signal: this.stopping.signal,
    };
    if (!done) return workQueue.lease(this.settings.queues, options);
    const ref = { queue: done.message.queue, messageId: done.message.id, token: done.token };
    return (await workQueue.ackAndLease!(ref, this.settings.queues, options)).lease;
  }

  private register(stop: (r: StopReason) => void): () => void {
    const key = Symbol('attempt');
    this.attempts.set(key, stop);
    return () => this.attempts.delete(key);
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
      for (const stop of this.attempts.values()) stop('shutdown');
      await all;
    }
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
