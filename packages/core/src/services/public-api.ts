/**
 * The services as a host sees them: one interface per field of the `Dalston` object, made
 * of the public methods of the class that implements it (no constructor, no private
 * state). The classes stay internal (wired by the engine's container, see
 * `services/wiring/di.ts`); a method added to a class is part of its interface at once,
 * and shows up in the API report (packages/core/api/index.api.md).
 */
import type { ApiKeysService as ApiKeysServiceClass } from './access/api-keys-service.js';
import type { TenantsService as TenantsServiceClass } from './access/tenants-service.js';
import type { ArtifactsService as ArtifactsServiceClass } from './artifacts/artifacts-service.js';
import type { HealthService as HealthServiceClass } from './health/health-service.js';
import type { JobsService as JobsServiceClass } from './jobs/jobs-service.js';
import type { MaintenanceService as MaintenanceServiceClass } from './maintenance/maintenance-service.js';
import type { DeadLettersService as DeadLettersServiceClass } from './queues/dead-letters-service.js';
import type { QueuesService as QueuesServiceClass } from './queues/queues-service.js';
import type { RateLimitsService as RateLimitsServiceClass } from './rate-limits/rate-limits-service.js';
import type { SchedulesService as SchedulesServiceClass } from './schedules/schedules-service.js';
import type { SessionsService as SessionsServiceClass } from './sessions/sessions-service.js';
import type { WorkersService as WorkersServiceClass } from './workers/workers-service.js';

/** The public members of a class instance: its methods and public fields, nothing else. */
export type PublicApi<T> = { [K in keyof T]: T[K] };

/** `dalston.jobs`: submit, read, list, cancel, retry and delete jobs; their events. */
export interface JobsService extends PublicApi<JobsServiceClass> {}
/** `dalston.workers`: start workers that run tasks from queues. */
export interface WorkersService extends PublicApi<WorkersServiceClass> {}
/** `dalston.rateLimits`: request rate limits and concurrency slots per key. */
export interface RateLimitsService extends PublicApi<RateLimitsServiceClass> {}
/** `dalston.tenants`: create, read, update and disable tenants. */
export interface TenantsService extends PublicApi<TenantsServiceClass> {}
/** `dalston.apiKeys`: create, verify, list and revoke API keys. */
export interface ApiKeysService extends PublicApi<ApiKeysServiceClass> {}
/** `dalston.artifacts`: a job's inputs and outputs in the artifact store. */
export interface ArtifactsService extends PublicApi<ArtifactsServiceClass> {}
/** `dalston.sessions`: live sessions, their keepalives, records and archive. */
export interface SessionsService extends PublicApi<SessionsServiceClass> {}
/** `dalston.maintenance`: reconcile, relay events, purge, sweep; or run them on timers. */
export interface MaintenanceService extends PublicApi<MaintenanceServiceClass> {}
/** `dalston.health`: each store's reachability and latency. */
export interface HealthService extends PublicApi<HealthServiceClass> {}
/** `dalston.schedules`: cron schedules that submit one job per tick across instances. */
export interface SchedulesService extends PublicApi<SchedulesServiceClass> {}
/** `dalston.queues`: per-queue counts and durable pause/resume. */
export interface QueuesService extends PublicApi<QueuesServiceClass> {}
/** `dalston.deadLetters`: a queue's dead letters: list, redrive, discard. */
export interface DeadLettersService extends PublicApi<DeadLettersServiceClass> {}
