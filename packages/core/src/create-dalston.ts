/**
 * createDalston: builds the engine from adapters, job types (or a legacy pipeline) and configuration, wired in
 * a tsyringe child container (typed tokens in `tokens.ts`; every service lists the token
 * of each constructor parameter, so no decorator metadata is needed; see services/wiring/di.ts).
 * The container is internal: the `Dalston` object exposes the services as interfaces
 * (`services/public-api.ts`); a tsyringe host registers them in its own container with
 * `registerDalston` from `@dalston/core/tsyringe`.
 */

import type { ResultAsync } from 'neverthrow';
import { type DalstonConfig, type DalstonConfigInput, parseConfig } from './config.js';
import { DalstonError } from './domain/errors.js';
import type { Job } from './domain/job.js';
import { guardAdapters } from './port-guard/index.js';
import type { IdGenerator } from './ports/id-generator.js';
import type { Logger } from './ports/logger.js';
import { timeOrderedIds } from './runtime/ids.js';
import { silentLogger } from './runtime/logger.js';
import { ApiKeysService } from './services/access/api-keys-service.js';
import { TenantCache } from './services/access/tenant-guard.js';
import { TenantsService } from './services/access/tenants-service.js';
import { ArtifactsService } from './services/artifacts/artifacts-service.js';
import { guardService } from './services/boundary/guard.js';
import { HealthService } from './services/health/health-service.js';
import { JobCommands } from './services/jobs/commands.js';
import type { JobMap } from './services/jobs/job-definition.js';
import { JobTypes } from './services/jobs/job-types.js';
import { JobsService } from './services/jobs/jobs-service.js';
import type { Pipeline } from './services/jobs/pipeline.js';
import { type SubmitInput, type SubmitInputOf, SubmitJob } from './services/jobs/submit.js';
import { SubmitManyJobs } from './services/jobs/submit-many.js';
import { MaintenanceService } from './services/maintenance/maintenance-service.js';
import type * as Api from './services/public-api.js';
import { DeadLettersService } from './services/queues/dead-letters-service.js';
import { QueuePauses } from './services/queues/queue-pauses.js';
import { QueuesService } from './services/queues/queues-service.js';
import { RateLimitsService } from './services/rate-limits/rate-limits-service.js';
import { SchedulesService } from './services/schedules/schedules-service.js';
import { SessionsService } from './services/sessions/sessions-service.js';
import { instrumentEngine } from './services/telemetry/engine-metrics.js';
import { Telemetry, type TelemetryOptions } from './services/telemetry/telemetry.js';
import { JobTransitions } from './services/transitions/job-transitions.js';
import { EventPublisher } from './services/transitions/publisher.js';
import { type DalstonAdapters, PORT_NAMES } from './services/wiring/adapters.js';
import {
  type DependencyContainer,
  instanceCachingFactory,
  registerService,
  container as rootContainer,
} from './services/wiring/di.js';
import { EngineRuntime } from './services/wiring/runtime.js';
import type { TypedWorkerOptions } from './services/workers/typed-handlers.js';
import type { Worker } from './services/workers/worker.js';
import { type CreateWorkerOptions, WorkersService } from './services/workers/workers-service.js';
import { TOKENS } from './tokens.js';

export interface CreateDalstonOptions<J extends JobMap = JobMap> {
  adapters: DalstonAdapters;
  /**
   * The job types the engine hosts, by name: `{ transcribe: defineJob({...}) }`. Each job
   * records its type (`Job.type`); `jobs.submit({ type, ... })` and typed workers are
   * checked against them. Give `jobs` or `pipeline`, not both.
   */
  jobs?: J;
  /**
   * Legacy: one untyped pipeline, hosted as the job type `default` (what jobs stored before
   * job types are). Prefer `jobs`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a pipeline of any parameter type
  pipeline?: Pipeline<any>;
  config?: DalstonConfigInput;
  logger?: Logger;
  ids?: IdGenerator;
  /** Random numbers in [0, 1) for backoff jitter. Default Math.random. */
  random?: () => number;
  /**
   * What the engine takes ownership of besides the ports: each is closed by
   * `dalston.close()`, in order, after the ports. Pass the adapter sets whose pools and
   * clients should end with the engine, e.g. the result of `adaptersFromEnv()`, or
   * `[pg, redis, s3]` from `postgresAdapters`/`redisAdapters`/`s3Adapters`. Default none:
   * the engine closes the ports (what each port opened) and leaves shared pools and
   * clients to the host.
   */
  owns?: Closable | readonly Closable[];
  /**
   * OpenTelemetry providers for the engine's spans and metrics (docs/operations.md).
   * Default: the global API providers; with no SDK registered, everything is a no-op.
   */
  telemetry?: TelemetryOptions;
}

/** Something `dalston.close()` can close: an adapter set, the result of `adaptersFromEnv()`. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * `dalston.jobs` of an engine with job types `J`: `submit`'s `type` and `parameters` are
 * checked by the compiler (untyped on an engine without declared types). Structural, so a
 * typed engine (`Dalston<J>`) can be passed where a `Dalston` is expected.
 */
export type TypedJobsService<J extends JobMap> = Omit<Api.JobsService, 'submit'> & {
  /** Validates, admits, stores and enqueues a job of `type`. An idempotency key already used returns that job. */
  submit(input: string extends keyof J ? SubmitInput : SubmitInputOf<J>): ResultAsync<Job, DalstonError>;
};

/** The options of `createWorker` on an engine with job types `J`. */
export type WorkerOptionsOf<J extends JobMap> = TypedWorkerOptions<J> | CreateWorkerOptions;

/**
 * The engine. `J` is its job types (inferred by `createDalston({ jobs })`); a bare `Dalston`
 * accepts any engine, typed or not (its `submit` and `createWorker` are untyped).
 */
// biome-ignore lint/suspicious/noExplicitAny: the default admits every typed engine where a bare `Dalston` is expected
export interface Dalston<J extends JobMap = any> {
  readonly jobs: TypedJobsService<J>;
  readonly workers: Api.WorkersService;
  readonly rateLimits: Api.RateLimitsService;
  readonly tenants: Api.TenantsService;
  readonly apiKeys: Api.ApiKeysService;
  readonly artifacts: Api.ArtifactsService;
  readonly sessions: Api.SessionsService;
  readonly maintenance: Api.MaintenanceService;
  /** Recurring jobs from cron expressions (fired by `maintenance.start()`). */
  readonly schedules: Api.SchedulesService;
  /** Queue counts and durable pause/resume (see QueuesService). */
  readonly queues: Api.QueuesService;
  /** A queue's dead letters: list, redrive, discard (see DeadLettersService). */
  readonly deadLetters: Api.DeadLettersService;
  readonly health: Api.HealthService;
  readonly config: DalstonConfig;
  /**
   * Shortcut for `workers.createWorker`, typed by the engine's job types: `{ handlers: {
   * <type>: { <stage>: async (ctx) => output } } }` (queues derived from the stages), or
   * the untyped `{ queues, handler(s) }`.
   */
  createWorker(options: WorkerOptionsOf<J>): Worker;
  /**
   * Stops workers and timers, marks pending published events, closes every port
   * (`close()` of each), then what the engine `owns`. Leaves no handle of the engine's
   * open; with `owns` covering the adapter sets, nothing keeps the process alive.
   * Idempotent; never rejects.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Builds an engine. Throws VALIDATION_FAILED (naming `config.<field>`, `adapters.<port>`,
 * `jobs.<type>.stages.<stage>.<field>` or `pipeline`) for bad options: construction is the
 * one place core throws.
 */
export function createDalston<const J extends JobMap>(
  options: CreateDalstonOptions<J> & { jobs: J; pipeline?: undefined },
): Dalston<J>;
export function createDalston(options: CreateDalstonOptions<JobMap>): Dalston;
export function createDalston(options: CreateDalstonOptions<JobMap>): Dalston<JobMap> {
  checkOptions(options);
  const config = parseConfig(options.config);
  if (config.isErr()) throw config.error;
  const jobTypes = JobTypes.fromOptions(options);
  const c = rootContainer.createChildContainer();
  // Every port behind its guard, once: arguments are checked here, adapters trust them.
  register(c, { ...options, adapters: guardAdapters(options.adapters) }, config.value, jobTypes);
  const runtime = c.resolve<EngineRuntime>(TOKENS.runtime);
  const workers = c.resolve(WorkersService);
  const publisher = c.resolve(EventPublisher);
  let closing: Promise<void> | null = null;
  return {
    ...guardedServices(c),
    workers,
    config: config.value,
    createWorker: (o: CreateWorkerOptions | TypedWorkerOptions) => workers.createWorker(o),
    close: (o = {}) => {
      closing ??= closeEngine(runtime, publisher, options, o.deadlineMs);
      return closing;
    },
  };
}

/** The public services, each behind the guard that checks ids and turns any throw into an err. */
function guardedServices(c: DependencyContainer) {
  const id = (name: string) => ({ id: name });
  const str = (name: string) => ({ string: name });
  const job = { what: 'job', args: [id('tenantId'), id('jobId')] };
  const session = { what: 'session', args: [id('tenantId'), id('sessionId')] };
  const artifact = { what: 'artifact', args: [id('tenantId'), str('uri')] };
  const schedule = { what: 'schedule', args: [id('id')] };
  return {
    jobs: guardService(c.resolve(JobsService), {
      submit: {},
      submitMany: {},
      get: job,
      list: {},
      cancel: job,
      retry: job,
      delete: job,
      readEvents: job,
    }),
    rateLimits: guardService(c.resolve(RateLimitsService), {
      check: {},
      acquireSlot: {},
      releaseSlot: { args: [str('key'), str('holder')] },
      refreshSlot: { args: [str('key'), str('holder')] },
    }),
    tenants: guardService(c.resolve(TenantsService), {
      create: {},
      get: { what: 'tenant', args: [id('tenantId')] },
      updateLimits: { what: 'tenant', args: [id('tenantId')] },
      disable: { what: 'tenant', args: [id('tenantId')] },
      list: {},
    }),
    apiKeys: guardService(c.resolve(ApiKeysService), {
      create: {},
      verify: {},
      list: { args: [id('tenantId')], miss: () => [] },
      revoke: { what: 'API key', args: [id('tenantId'), id('keyId')] },
    }),
    artifacts: guardService(c.resolve(ArtifactsService), {
      put: { what: 'job', args: [id('tenantId'), id('jobId'), str('name')] },
      get: artifact,
      presignGet: artifact,
      readOutput: { what: 'job', args: [id('tenantId'), id('jobId'), str('name')] },
    }),
    sessions: guardService(c.resolve(SessionsService), {
      start: {},
      list: { args: [id('tenantId')], miss: () => ({ sessions: [], nextCursor: null }) },
      listArchived: { args: [id('tenantId')], miss: () => ({ sessions: [], nextCursor: null }) },
      keepalive: session,
      get: session,
      archived: session,
      update: session,
      record: { ...session, args: [...session.args, str('name')] },
      end: session,
    }),
    maintenance: guardService(c.resolve(MaintenanceService), {
      reconcile: {},
      relayEvents: {},
      purgeExpired: {},
      sweepOrphans: {},
      sweepSessions: {},
      start: {},
      stop: {},
    }),
    schedules: guardService(c.resolve(SchedulesService), {
      upsert: {},
      get: schedule,
      list: {},
      pause: schedule,
      resume: schedule,
      remove: schedule,
      ticks: schedule,
      fireDue: {},
    }),
    queues: guardService(c.resolve(QueuesService), { list: {}, stats: {}, pause: {}, resume: {} }),
    deadLetters: guardService(c.resolve(DeadLettersService), { list: {}, redrive: {}, discard: {} }),
    health: guardService(c.resolve(HealthService), { check: {} }),
  };
}

function checkOptions(options: CreateDalstonOptions): void {
  const fail = (field: string, message: string) =>
    new DalstonError('VALIDATION_FAILED', `${field}: ${message} (@dalston/core createDalston)`, { field });
  if (!options || typeof options !== 'object') throw fail('options', 'expected { adapters, jobs }');
  for (const name of [...PORT_NAMES, 'clock'] as const) {
    if (!options.adapters?.[name]) throw fail(`adapters.${name}`, 'missing; pass e.g. memoryAdapters()');
  }
  if (options.pipeline !== undefined && typeof options.pipeline?.build !== 'function') {
    throw fail('pipeline.build', 'expected a function');
  }
  for (const name of PORT_NAMES) {
    for (const method of ['ping', 'close'] as const) {
      if (typeof options.adapters[name][method] !== 'function') {
        throw fail(`adapters.${name}.${method}`, 'expected a function (every port has ping() and close())');
      }
    }
  }
  const owned = options.owns === undefined ? [] : [options.owns].flat();
  owned.forEach((o, i) => {
    if (typeof o?.close !== 'function') throw fail(`owns[${i}].close`, 'expected a function');
  });
}

function register(
  c: DependencyContainer,
  options: CreateDalstonOptions,
  config: DalstonConfig,
  jobTypes: JobTypes,
): void {
  const { adapters } = options;
  for (const name of PORT_NAMES) c.register(TOKENS[name], { useValue: adapters[name] });
  c.register(TOKENS.clock, { useValue: adapters.clock });
  c.register(TOKENS.adapters, { useValue: adapters });
  c.register(TOKENS.ids, { useValue: options.ids ?? timeOrderedIds(() => adapters.clock.now()) });
  c.register(TOKENS.logger, { useValue: options.logger ?? silentLogger });
  c.register(TOKENS.config, { useValue: config });
  c.register(TOKENS.jobTypes, { useValue: jobTypes });
  c.register(TOKENS.random, { useValue: options.random ?? Math.random });
  c.register(TOKENS.runtime, { useValue: new EngineRuntime(config.queues) });
  c.register(TOKENS.telemetry, { useValue: new Telemetry(options.telemetry) });
  // One instance of each per engine, internal services included (shared state).
  registerService(c, EventPublisher);
  registerService(c, TenantCache);
  registerService(c, JobTransitions);
  registerService(c, QueuePauses);
  registerService(c, RateLimitsService);
  registerService(c, SubmitJob);
  registerService(c, SubmitManyJobs);
  registerService(c, JobCommands);
  registerService(c, JobsService);
  registerService(c, WorkersService);
  registerService(c, TenantsService);
  registerService(c, ApiKeysService);
  registerService(c, ArtifactsService);
  registerService(c, SessionsService);
  registerService(c, SchedulesService);
  registerService(c, MaintenanceService);
  registerService(c, QueuesService);
  registerService(c, DeadLettersService);
  c.register(HealthService, { useFactory: instanceCachingFactory(() => new HealthService(adapters)) });
  instrumentEngine(c);
}

async function closeEngine(
  runtime: EngineRuntime,
  publisher: EventPublisher,
  options: CreateDalstonOptions,
  deadlineMs?: number,
): Promise<void> {
  runtime.closed = true;
  await Promise.all(
    [...runtime.closables].map((c) =>
      c.close(deadlineMs === undefined ? {} : { deadlineMs }).catch(() => undefined),
    ),
  );
  // Marks the events published so far (batched by the publisher) while the job store is open.
  await publisher.close();
  for (const name of PORT_NAMES) await options.adapters[name].close().catch(() => undefined);
  const owned = options.owns === undefined ? [] : [options.owns].flat();
  for (const o of owned) await o.close().catch(() => undefined);
}
