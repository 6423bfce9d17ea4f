// Public surface of @dalston/core for hosts: createDalston, the types a host writes and
// reads, the service interfaces, errors, clocks and loggers. Keep this file to re-exports
// only. Adapter authors import `@dalston/core/adapter` (ports, schemas, keys, store
// helpers); tsyringe hosts import `@dalston/core/tsyringe`. Every change here shows up in
// packages/core/api/index.api.md (`npm run api:report`).

export type { DalstonConfig, DalstonConfigInput, LimitName } from './config.js';
export { type Closable, type CreateDalstonOptions, createDalston, type Dalston } from './create-dalston.js';
export { API_KEY_SCOPES, type ApiKeyScope, hasScope } from './domain/api-key.js';
export {
  DalstonError,
  type DalstonErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  isDalstonError,
  isOutcomeUnknown,
  type StoreName,
  safeMessage,
} from './domain/errors.js';
export { type DalstonEvent, EVENT_TYPES, type EventType, type NewEvent } from './domain/events.js';
export { type ErrorInfo, isTerminalJobStatus, JOB_STATUSES, type Job, type JobStatus } from './domain/job.js';
export type { JsonObject, JsonPrimitive, JsonValue } from './domain/json.js';
export type { FailurePolicy, RateLimitDecision, RateLimitPolicy, SlotDecision } from './domain/rate-limit.js';
export {
  type LiveSession,
  SESSION_STATUSES,
  type SessionRecord,
  type SessionStatus,
} from './domain/session.js';
export {
  type BackoffPolicy,
  isTerminalTaskStatus,
  TASK_STATUSES,
  type Task,
  type TaskSpec,
  type TaskStatus,
} from './domain/task.js';
export type { Tenant, TenantLimits } from './domain/tenant.js';
export type { ArtifactInfo } from './ports/artifact-store.js';
export type { Clock } from './ports/clock.js';
export type { IdGenerator } from './ports/id-generator.js';
export type { JobPage } from './ports/job-store.js';
export type { Logger } from './ports/logger.js';
export { jsonLogger, silentLogger } from './runtime/logger.js';
export { ManualClock } from './runtime/manual-clock.js';
export { systemClock } from './runtime/system-clock.js';
export type { ApiKeyInfo, VerifiedKey } from './services/access/api-keys-service.js';
export type { JobOutputRead } from './services/artifacts/artifacts-service.js';
export type { HealthReport, StoreHealth } from './services/health/health-service.js';
export type { EventStreamOptions } from './services/jobs/event-stream.js';
export type { ListJobsInput } from './services/jobs/jobs-service.js';
export type { Pipeline } from './services/jobs/pipeline.js';
export type { SubmitInput } from './services/jobs/submit.js';
export type { ReconcileCounts } from './services/maintenance/maintenance-service.js';
export type { OrphanCounts } from './services/maintenance/retention.js';
export type {
  ApiKeysService,
  ArtifactsService,
  HealthService,
  JobsService,
  MaintenanceService,
  PublicApi,
  RateLimitsService,
  SessionsService,
  TenantsService,
  WorkersService,
} from './services/public-api.js';
export type { CheckOptions, CheckOutcome, SlotOutcome } from './services/rate-limits/rate-limits-service.js';
export type { EndSessionInput } from './services/sessions/sessions-service.js';
export type { DalstonAdapters, PortName } from './services/wiring/adapters.js';
export type { TaskContext, TaskHandler } from './services/workers/context.js';
export type { ModuleRef, ThreadIsolationOptions } from './services/workers/isolation/isolation-options.js';
export type { ThreadTaskContext, ThreadTaskHandler } from './services/workers/isolation/thread-context.js';
export { TaskFailure } from './services/workers/task-failure.js';
export type { Worker, WorkerStats } from './services/workers/worker.js';
export type { CreateWorkerOptions } from './services/workers/workers-service.js';
