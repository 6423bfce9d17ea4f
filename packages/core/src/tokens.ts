/**
 * Injection tokens of the engine's tsyringe container, typed by what they resolve to.
 * Core never relies on emitted decorator metadata (esbuild does not emit it): every
 * service class lists the token of each constructor parameter in a static `inject`
 * tuple, checked against the constructor's parameter types, and is registered with a
 * factory (`services/wiring/di.ts`). Internal to the engine: a host never sees this
 * container or these tokens (a tsyringe host uses `@dalston/core/tsyringe`).
 */
import type { DalstonConfig } from './config.js';
import type { ApiKeyStore } from './ports/api-key-store.js';
import type { ArtifactStore } from './ports/artifact-store.js';
import type { Clock } from './ports/clock.js';
import type { EventBus } from './ports/event-bus.js';
import type { IdGenerator } from './ports/id-generator.js';
import type { JobStore } from './ports/job-store.js';
import type { Logger } from './ports/logger.js';
import type { RateLimitStore } from './ports/rate-limit-store.js';
import type { SessionArchive } from './ports/session-archive.js';
import type { SessionStore } from './ports/session-store.js';
import type { TenantStore } from './ports/tenant-store.js';
import type { WorkQueue } from './ports/work-queue.js';
import type { JobTypes } from './services/jobs/job-types.js';
import type { Telemetry } from './services/telemetry/telemetry.js';
import type { DalstonAdapters } from './services/wiring/adapters.js';
import type { EngineRuntime } from './services/wiring/runtime.js';

declare const resolvesTo: unique symbol;
/** A symbol token that resolves to a `T`. */
export type Token<T> = symbol & { readonly [resolvesTo]?: T };

const token = <T>(name: string): Token<T> => Symbol.for(`dalston.${name}`) as Token<T>;

export const TOKENS = Object.freeze({
  jobStore: token<JobStore>('jobStore'),
  tenantStore: token<TenantStore>('tenantStore'),
  apiKeyStore: token<ApiKeyStore>('apiKeyStore'),
  sessionArchive: token<SessionArchive>('sessionArchive'),
  workQueue: token<WorkQueue>('workQueue'),
  sessionStore: token<SessionStore>('sessionStore'),
  rateLimitStore: token<RateLimitStore>('rateLimitStore'),
  eventBus: token<EventBus>('eventBus'),
  artifactStore: token<ArtifactStore>('artifactStore'),
  clock: token<Clock>('clock'),
  ids: token<IdGenerator>('ids'),
  logger: token<Logger>('logger'),
  config: token<DalstonConfig>('config'),
  /** Every port at once (health probes each one). */
  adapters: token<DalstonAdapters>('adapters'),
  /** The job types the engine hosts (from `jobs`, or the legacy `pipeline` as type `default`). */
  jobTypes: token<JobTypes>('jobTypes'),
  /** Random numbers in [0, 1) (backoff jitter). */
  random: token<() => number>('random'),
  /** Engine-internal shared state (running attempts, known queues, what close() stops). */
  runtime: token<EngineRuntime>('runtime'),
  /** The engine's OpenTelemetry tracer, meter and instruments. */
  telemetry: token<Telemetry>('telemetry'),
});

export type TokenName = keyof typeof TOKENS;
