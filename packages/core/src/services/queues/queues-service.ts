/**
 * queues: what operators see and switch per queue. `stats()` counts each known queue's
 * messages (WorkQueue) and reads its pause switch (JobStore, the source of truth);
 * `pause`/`resume` write the switch durably: it survives a queue-store wipe and restarts,
 * and every engine's workers honour it within `queuePollMs` (this engine's at once; see
 * QueuePauses). A paused queue still takes messages (submits, retries, reconcile); its
 * workers lease none until it is resumed, and attempts already running go on.
 *
 * Known queues: those of this engine's configuration (`config.queues`) and workers, every
 * queue that has a pause switch (paused at least once, by any engine), and every queue the
 * WorkQueue holds a message or dead letter for (`WorkQueue.queueNames`).
 */
import { okAsync, type ResultAsync } from 'neverthrow';
import type { DalstonError } from '../../domain/errors.js';
import { queueNameSchema } from '../../domain/schemas.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { QueueControl } from '../../ports/queue-control.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseAsync } from '../boundary/result.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import { QueuePauses } from './queue-pauses.js';

/** One queue's counts and pause switch. */
export interface QueueStatus {
  queue: string;
  /** Leasable now (due delayed messages included). */
  ready: number;
  /** Waiting for their notBefore or a release delay. */
  delayed: number;
  /** Held by workers (expired leases not yet reclaimed included). */
  leased: number;
  /** Dead letters (see `dalston.deadLetters`). */
  dead: number;
  paused: boolean;
}

export class QueuesService {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.workQueue,
    TOKENS.clock,
    TOKENS.runtime,
    QueuePauses,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly workQueue: WorkQueue,
    private readonly clock: Clock,
    private readonly runtime: EngineRuntime,
    private readonly pauses: QueuePauses,
  ) {}

  /** Names of the known queues, sorted (see the module comment). */
  list(): ResultAsync<string[], DalstonError> {
    return attempt(async () => this.known(...(await this.read())));
  }

  /** Every known queue's counts and pause switch, by name. Exact per queue, not one snapshot of all. */
  stats(): ResultAsync<QueueStatus[], DalstonError> {
    return attempt(async () => {
      const [controls, holding] = await this.read();
      const paused = new Set(controls.filter((c) => c.paused).map((c) => c.queue));
      return Promise.all(
        this.known(controls, holding).map(async (queue) => ({
          queue,
          ...(await this.workQueue.stats(queue)),
          paused: paused.has(queue),
        })),
      );
    });
  }

  /**
   * Pauses the queue (durable; idempotent): no worker of any engine leases from it once the
   * switch is read (this engine at once, the others within `queuePollMs`). VALIDATION_FAILED
   * (`queue`) for a name that is not a queue name.
   */
  pause(queue: string): ResultAsync<QueueControl, DalstonError> {
    return this.set(queue, true);
  }

  /** Resumes the queue (durable; idempotent): workers lease from it again. */
  resume(queue: string): ResultAsync<QueueControl, DalstonError> {
    return this.set(queue, false);
  }

  private set(queue: string, paused: boolean): ResultAsync<QueueControl, DalstonError> {
    return parseAsync(queueNameSchema, queue, 'queue')
      .andThen((name) => attempt(() => this.jobStore.setQueuePaused(name, paused, this.clock.now())))
      .andThen((control) => {
        this.pauses.note(control.queue, control.paused);
        return okAsync(control);
      });
  }

  /** The switches (JobStore) and the queues holding messages or dead letters (WorkQueue). */
  private read(): Promise<[QueueControl[], string[]]> {
    return Promise.all([this.jobStore.queueControls(), this.workQueue.queueNames()]);
  }

  private known(controls: readonly QueueControl[], holding: readonly string[]): string[] {
    const names = new Set([...this.runtime.queues, ...controls.map((c) => c.queue), ...holding]);
    return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
