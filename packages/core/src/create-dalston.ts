/**
 * createDalston: builds the engine from adapters, a pipeline and configuration, wired in
 * a tsyringe child container (typed tokens in `tokens.ts`; every service lists the token
 * of each constructor parameter, so no decorator metadata is needed; see services/wiring/di.ts).
 * The container is internal: the `Dalston` object exposes the services as interfaces
 * (`services/public-api.ts`); a tsyringe host registers them in its own container with
 * `registerDalston` from `@dalston/core/tsyringe`.
 */

import { type DalstonConfig, type DalstonConfigInput, parseConfig } from './config.js';
import { DalstonError } from './domain/errors.js';
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
import { JobsService } from './services/jobs/jobs-service.js';
import type { Pipeline } from './services/jobs/pipeline.js';
import { SubmitJob } from './services/jobs/submit.js';
import { MaintenanceService } from './services/maintenance/maintenance-service.js';
import type {
  ApiKeysService as ApiKeysApi,
  ArtifactsService as ArtifactsApi,
  HealthService as HealthApi,
  JobsService as JobsApi,
  MaintenanceService as MaintenanceApi,
  RateLimitsService as RateLimitsApi,
  SessionsService as SessionsApi,
  TenantsService as TenantsApi,
  WorkersService as WorkersApi,
} from './services/public-api.js';
import { RateLimitsService } from './services/rate-limits/rate-limits-service.js';
import { SessionsService } from './services/sessions/sessions-service.js';
import { JobTransitions } from './services/transitions/job-transitions.js';
import { EventPublisher } from './services/transitions/publisher.js';
import { type DalstonAdapters, PORT_NAMES } from './services/wiring/adapters.js';
import {
  type DependencyContainer,
  registerService,
  container as rootContainer,
} from './services/wiring/di.js';
import { EngineRuntime } from './services/wiring/runtime.js';
import type { Worker } from './services/workers/worker.js';
import { type CreateWorkerOptions, WorkersService } from './services/workers/workers-service.js';
import { TOKENS } from './tokens.js';

export interface CreateDalstonOptions {
  adapters: DalstonAdapters;
  // biome-ignore lint/suspicious/noExplicitAny: a pipeline of any parameter type
  pipeline: Pipeline<any>;
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
}

/** Something `dalston.close()` can close: an adapter set, the result of `adaptersFromEnv()`. */
export interface Closable {
  close(): Promise<void>;
}

export interface Dalston {
  readonly jobs: JobsApi;
  readonly workers: WorkersApi;
  readonly rateLimits: RateLimitsApi;
  readonly tenants: TenantsApi;
  readonly apiKeys: ApiKeysApi;
  readonly artifacts: ArtifactsApi;
  readonly sessions: SessionsApi;
  readonly maintenance: MaintenanceApi;
  readonly health: HealthApi;
  readonly config: DalstonConfig;
  /** Shortcut for `workers.createWorker`. */
  createWorker(options: CreateWorkerOptions): Worker;
  /**
   * Stops workers and timers, marks pending published events, closes every port
   * (`close()` of each), then what the engine `owns`. Leaves no handle of the engine's
   * open; with `owns` covering the adapter sets, nothing keeps the process alive.
   * Idempotent; never rejects.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Builds an engine. Throws VALIDATION_FAILED (naming `config.<field>`, `adapters.<port>`
 * or `pipeline`) for bad options: construction is the one place core throws.
 */
export function createDalston(options: CreateDalstonOptions): Dalston {
  checkOptions(options);
  const config = parseConfig(options.config);
  if (config.isErr()) throw config.error;
  const c = rootContainer.createChildContainer();
  register(c, options, config.value);
  const runtime = c.resolve<EngineRuntime>(TOKENS.runtime);
  const workers = c.resolve(WorkersService);
  const publisher = c.resolve(EventPublisher);
  let closing: Promise<void> | null = null;
  return {
    ...guardedServices(c),
    workers,
    config: config.value,
    createWorker: (o) => workers.createWorker(o),
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
  return {
    jobs: guardService(c.resolve(JobsService), {
      submit: {},
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
    health: guardService(c.resolve(HealthService), { check: {} }),
  };
}

function checkOptions(options: CreateDalstonOptions): void {
  const fail = (field: string, message: string) =>
    new DalstonError('VALIDATION_FAILED', `${field}: ${message} (@dalston/core createDalston)`, { field });
  if (!options || typeof options !== 'object') throw fail('options', 'expected { adapters, pipeline }');
  for (const name of [...PORT_NAMES, 'clock'] as const) {
    if (!options.adapters?.[name]) throw fail(`adapters.${name}`, 'missing; pass e.g. memoryAdapters()');
  }
  if (typeof options.pipeline?.build !== 'function') throw fail('pipeline.build', 'expected a function');
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

function register(c: DependencyContainer, options: CreateDalstonOptions, config: DalstonConfig): void {
  const { adapters } = options;
  for (const name of PORT_NAMES) c.register(TOKENS[name], { useValue: adapters[name] });
  c.register(TOKENS.clock, { useValue: adapters.clock });
  c.register(TOKENS.adapters, { useValue: adapters });
  c.register(TOKENS.ids, { useValue: options.ids ?? timeOrderedIds(() => adapters.clock.now()) });
  c.register(TOKENS.logger, { useValue: options.logger ?? silentLogger });
  c.register(TOKENS.config, { useValue: config });
  c.register(TOKENS.pipeline, { useValue: options.pipeline });
  c.register(TOKENS.random, { useValue: options.random ?? Math.random });
  c.register(TOKENS.runtime, { useValue: new EngineRuntime(config.queues) });
  // One instance of each per engine, internal services included (shared state).
  registerService(c, EventPublisher);
  registerService(c, TenantCache);
  registerService(c, JobTransitions);
  registerService(c, RateLimitsService);
  registerService(c, SubmitJob);
  registerService(c, JobCommands);
  registerService(c, JobsService);
  registerService(c, WorkersService);
  registerService(c, TenantsService);
  registerService(c, ApiKeysService);
  registerService(c, ArtifactsService);
  registerService(c, SessionsService);
  registerService(c, MaintenanceService);
  registerService(c, HealthService);
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
