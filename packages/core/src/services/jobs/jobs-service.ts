/**
 * jobs: the public job API. Every method is tenant-scoped (another tenant's job reads
 * as NOT_FOUND) and returns a ResultAsync; none throws.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { type DalstonError, notFound } from '../../domain/errors.js';
import type { DalstonEvent } from '../../domain/events.js';
import { JOB_STATUSES, type Job } from '../../domain/job.js';
import { type JobDetails, jobDetailsOf } from '../../domain/job-details.js';
import { isStorableText, pageLimitSchema, storableString } from '../../domain/schemas.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { JobPage, JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';
import { JobCommands } from './commands.js';
import { type EventStreamOptions, jobEventStream } from './event-stream.js';
import { type SubmitInput, SubmitJob } from './submit.js';
import { SubmitManyJobs } from './submit-many.js';

export interface ListJobsInput {
  tenantId: string;
  status?: Job['status'] | Job['status'][];
  /** Only jobs of this job type (or these types). */
  type?: string | string[];
  /** Inclusive lower bound on createdAt (epoch ms). */
  from?: number;
  /** Exclusive upper bound on createdAt (epoch ms). */
  to?: number;
  /** 1..1000, default 50. */
  limit?: number;
  cursor?: string | null;
}

const typeName = storableString().min(1).max(63);

const listSchema = z.strictObject({
  tenantId: z.string().min(1),
  status: z.union([z.enum(JOB_STATUSES), z.array(z.enum(JOB_STATUSES))]).optional(),
  type: z.union([typeName, z.array(typeName).max(100)]).optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  limit: pageLimitSchema.default(50),
  cursor: storableString().max(1024).nullable().optional(),
});

const reasonSchema = storableString().min(1).max(2000).optional();

/** `events()` options: read once, so the stream never touches the caller's object again. */
const streamSchema = z
  .object({
    after: z.int().min(0).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .default({});

const readSchema = z.strictObject({
  after: z.int().min(0).optional(),
  limit: pageLimitSchema.default(100),
});

export class JobsService {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.eventBus,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    SubmitJob,
    JobCommands,
    SubmitManyJobs,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly submitter: SubmitJob,
    private readonly commands: JobCommands,
    private readonly bulk: SubmitManyJobs,
  ) {}

  /** Validates, admits, stores and enqueues a job. An idempotency key already used returns that job. */
  submit(input: SubmitInput): ResultAsync<Job, DalstonError> {
    return this.submitter.submit(input);
  }

  /**
   * The job with its tasks and DAG edges (`JobDetails`: every `Job` field at the top level,
   * plus `tasks` and `edges`), read in one store round trip (`getSnapshot`); NOT_FOUND when
   * the tenant has no such job.
   */
  /**
   * Many jobs of one tenant in one JobStore transaction, answered in input order (see
   * submit-many.ts): every item is validated first (one VALIDATION_FAILED listing each bad
   * item in `details.items`, nothing written); admission is all or nothing (RATE_LIMITED
   * when the batch does not fit the tenant's concurrent-job limit); an idempotency key
   * already used returns that job at its position. 1..1000 items, no `input` bodies.
   */
  submitMany(inputs: SubmitInput[]): ResultAsync<Job[], DalstonError> {
    return this.bulk.submitMany(inputs);
  }

  get(tenantId: string, jobId: string): ResultAsync<JobDetails, DalstonError> {
    return attempt(() => this.jobStore.getSnapshot(tenantId, jobId)).andThen((snapshot) =>
      snapshot ? okAsync(jobDetailsOf(snapshot)) : errAsync(notFound('job', jobId)),
    );
  }

  /** The job alone (no tasks), or NOT_FOUND: the existence check of the event reads. */
  private job(tenantId: string, jobId: string): ResultAsync<Job, DalstonError> {
    return attempt(() => this.jobStore.getJob(tenantId, jobId)).andThen((job) =>
      job ? okAsync(job) : errAsync(notFound('job', jobId)),
    );
  }

  /** A page of the tenant's jobs, newest first. */
  list(input: ListJobsInput): ResultAsync<JobPage, DalstonError> {
    const parsed = parseInput(listSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const q = parsed.value;
    // A tenant id no store can hold has no jobs (PostgreSQL would refuse the parameter).
    if (!isStorableText(q.tenantId) || q.tenantId.length > 255)
      return okAsync({ jobs: [], nextCursor: null });
    const status = q.status === undefined ? undefined : Array.isArray(q.status) ? q.status : [q.status];
    const type = q.type === undefined ? undefined : Array.isArray(q.type) ? q.type : [q.type];
    return attempt(() =>
      this.jobStore.listJobs({
        tenantId: q.tenantId,
        limit: q.limit,
        ...(status ? { status } : {}),
        ...(type ? { type } : {}),
        ...(q.from !== undefined ? { createdFrom: q.from } : {}),
        ...(q.to !== undefined ? { createdTo: q.to } : {}),
        ...(q.cursor != null ? { cursor: q.cursor } : {}),
      }),
    );
  }

  cancel(tenantId: string, jobId: string, reason?: string): ResultAsync<Job, DalstonError> {
    const parsed = parseInput(reasonSchema, reason, 'reason');
    if (parsed.isErr()) return errAsync(parsed.error);
    return this.commands.cancel(tenantId, jobId, parsed.value);
  }

  retry(tenantId: string, jobId: string): ResultAsync<Job, DalstonError> {
    return this.commands.retry(tenantId, jobId);
  }

  delete(tenantId: string, jobId: string): ResultAsync<void, DalstonError> {
    return this.commands.delete(tenantId, jobId);
  }

  /** One page of the job's event log after the cursor. */
  readEvents(
    tenantId: string,
    jobId: string,
    options: { after?: number; limit?: number } = {},
  ): ResultAsync<DalstonEvent[], DalstonError> {
    const parsed = parseInput(readSchema, options);
    if (parsed.isErr()) return errAsync(parsed.error);
    return this.job(tenantId, jobId).andThen(() =>
      attempt(() => this.jobStore.readEvents({ tenantId, jobId, ...parsed.value })),
    );
  }

  /**
   * The job's events from the cursor on, replayed from the log then live, with no gaps
   * or duplicates; ends after the job's terminal event or when `signal` aborts. An async
   * iterable rather than a ResultAsync (so `for await` works directly): iterating throws a
   * DalstonError (NOT_FOUND when the job is not the tenant's, VALIDATION_FAILED for a bad
   * cursor, STORE_UNAVAILABLE when the log stays unreadable).
   */
  events(tenantId: string, jobId: string, options: EventStreamOptions = {}): AsyncIterable<DalstonEvent> {
    const deps = {
      jobStore: this.jobStore,
      bus: this.bus,
      clock: this.clock,
      logger: this.logger,
      pollMs: this.config.eventPollMs,
    };
    // Options are read once, here (a getter or Proxy cannot change them later). Called on
    // the engine's `jobs`, `this.get` is the guarded public method, so ids are checked too.
    const check = async (): Promise<EventStreamOptions> => {
      const parsed = parseInput(streamSchema, options, 'options');
      if (parsed.isErr()) throw parsed.error;
      const job = await this.get(tenantId, jobId);
      if (job.isErr()) throw job.error;
      return parsed.value;
    };
    return {
      async *[Symbol.asyncIterator]() {
        const checked = await check();
        yield* jobEventStream(deps, tenantId, jobId, checked);
      },
    };
  }
}
