/**
 * workers: creates workers bound to this engine. Each worker's queues join the set the
 * maintenance scans for dead letters; `dalston.close()` closes every worker.
 */

import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { DalstonError } from '../../domain/errors.js';
import { NAME_PATTERN } from '../../domain/schemas.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { parseInput } from '../boundary/result.js';
import type { JobTypes } from '../jobs/job-types.js';
import { QueuePauses } from '../queues/queue-pauses.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { JobTransitions } from '../transitions/job-transitions.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import type { TaskHandler } from './context.js';
import { type ThreadIsolationOptions, threadIsolationSchema } from './isolation/isolation-options.js';
import { ThreadPool } from './isolation/thread-pool.js';
import { type TypedRouting, type TypedWorkerOptions, typedWorkerRouting } from './typed-handlers.js';
import { type Worker, WorkerLoop } from './worker.js';

/**
 * The untyped form of `createWorker`'s options (one function per stage, queues named by
 * hand). Prefer the typed form (`TypedWorkerOptions`: handlers by job type and stage, queues
 * derived from them); this one serves the legacy `pipeline` and thread isolation.
 */
export interface CreateWorkerOptions {
  queues: string[];
  /** Handlers by stage; `handler` runs stages without one. Not with `isolation`. */
  handlers?: Record<string, TaskHandler>;
  handler?: TaskHandler;
  /**
   * Run handlers in `worker_threads` loaded from a module instead of `handler(s)`: at an
   * attempt's deadline (timeout, cancel, lost lease, shutdown) the thread is terminated,
   * so even a handler that never yields frees its slot. See `ThreadIsolationOptions`.
   */
  isolation?: ThreadIsolationOptions;
  /**
   * Handlers run at once. Default 1. A handler that ignores its signal keeps its slot
   * until it returns (see `Worker.stats()`), so this bound always holds.
   */
  concurrency?: number;
  /** Default: the engine's leaseMs. */
  leaseMs?: number;
  /** Longest blocking wait of one lease call. Default 1000. */
  waitMs?: number;
}

const handlerSchema = z.custom<TaskHandler>((h) => typeof h === 'function', {
  message: 'expected a function',
});
const optionsSchema = z
  .strictObject({
    queues: z.array(z.string().regex(NAME_PATTERN, 'must match ^[a-z][a-z0-9_-]{0,62}$')).min(1),
    handlers: z.record(z.string(), handlerSchema).default({}),
    handler: handlerSchema.optional(),
    isolation: threadIsolationSchema.optional(),
    concurrency: z.int().min(1).max(1000).default(1),
    leaseMs: z.int().min(1).optional(),
    waitMs: z.int().min(0).max(60_000).default(1000),
  })
  .refine((o) => o.isolation !== undefined || o.handler !== undefined || Object.keys(o.handlers).length > 0, {
    message: 'give `handler`, at least one entry in `handlers`, or `isolation`',
    path: ['handlers'],
  })
  .refine(
    (o) => o.isolation === undefined || (o.handler === undefined && Object.keys(o.handlers).length === 0),
    {
      message: 'with `isolation` the handlers come from its module: leave out `handler` and `handlers`',
      path: ['isolation'],
    },
  );

/** The typed form: `handlers` by job type and stage, no `queues` (they come from the stages). */
const typedOptionsSchema = z.strictObject({
  handlers: z.record(z.string(), z.record(z.string(), handlerSchema)),
  concurrency: z.int().min(1).max(1000).default(1),
  leaseMs: z.int().min(1).optional(),
  waitMs: z.int().min(0).max(60_000).default(1000),
});

/** Without `queues` (and without `isolation`), `handlers` are by job type and stage. */
const isTypedForm = (o: unknown): o is TypedWorkerOptions =>
  typeof o === 'object' && o !== null && !('queues' in o) && !('isolation' in o) && 'handlers' in o;

export class WorkersService {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.workQueue,
    TOKENS.artifactStore,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    TOKENS.ids,
    TOKENS.runtime,
    TOKENS.jobTypes,
    JobTransitions,
    QueuePauses,
    TOKENS.telemetry,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly workQueue: WorkQueue,
    private readonly artifacts: ArtifactStore,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly ids: IdGenerator,
    private readonly runtime: EngineRuntime,
    private readonly jobTypes: JobTypes,
    private readonly transitions: JobTransitions,
    private readonly pauses: QueuePauses,
    private readonly telemetry: Telemetry,
  ) {}

  /**
   * Starts a worker at once. Like a constructor, it throws (a DalstonError) for bad
   * options (VALIDATION_FAILED) or a closed engine (CLOSED); the worker itself never throws.
   */
  createWorker(options: CreateWorkerOptions | TypedWorkerOptions): Worker {
    if (this.runtime.closed) throw new DalstonError('CLOSED', 'the engine is closed');
    if (isTypedForm(options)) {
      const parsed = parseInput(typedOptionsSchema, options);
      if (parsed.isErr()) throw parsed.error;
      const routing = typedWorkerRouting(this.jobTypes, parsed.value.handlers);
      return this.start({ ...parsed.value, queues: routing.queues, handlers: {} }, routing);
    }
    const parsed = parseInput(optionsSchema, options, 'options');
    if (parsed.isErr()) throw parsed.error;
    return this.start(parsed.value);
  }

  private start(o: z.output<typeof optionsSchema>, routing?: TypedRouting): Worker {
    const id = this.ids.next('wrk');
    const leaseMs = o.leaseMs ?? this.config.leaseMs;
    const pool = o.isolation ? new ThreadPool(o.isolation, this.clock) : null;
    const worker = new WorkerLoop(
      {
        id,
        queues: o.queues,
        concurrency: o.concurrency,
        waitMs: o.waitMs,
        handlers: o.handlers,
        handler: pool ? (pool.handler as TaskHandler) : o.handler,
        ...(routing ? { handlerFor: routing.handlerFor } : {}),
        // An isolated handler is terminated at its deadline: report it only if that takes long.
        ...(pool ? { dispose: () => pool.close(), overdueAfterMs: (o.isolation?.graceMs ?? 0) + 1000 } : {}),
      },
      {
        jobStore: this.jobStore,
        workQueue: this.workQueue,
        artifacts: this.artifacts,
        clock: this.clock,
        config: {
          ...this.config,
          heartbeatMs: Math.min(this.config.heartbeatMs, Math.max(1, Math.floor(leaseMs / 3))),
        },
        logger: this.logger.child({ worker: id }),
        transitions: this.transitions,
        runtime: this.runtime,
        telemetry: this.telemetry,
        leaseMs,
      },
      this.pauses,
    );
    for (const q of o.queues) this.runtime.queues.add(q);
    this.runtime.closables.add(worker);
    return worker.start();
  }
}
