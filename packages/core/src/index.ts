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
export {
  DEFAULT_JOB_TYPE,
  type ErrorInfo,
  isTerminalJobStatus,
  JOB_STATUSES,
  type Job,
  type JobStatus,
} from './domain/job.js';
export type { JobDetails, JobEdge, TaskView } from './domain/job-details.js';
export type { JsonObject, JsonPrimitive, JsonValue } from './domain/json.js';
export type { FailurePolicy, RateLimitDecision, RateLimitPolicy, SlotDecision } from './domain/rate-limit.js';
export {
  SCHEDULE_CATCH_UPS,
  SCHEDULE_OVERLAPS,
  SCHEDULE_TICK_OUTCOMES,
  type Schedule,
  type ScheduleCatchUp,
  type ScheduleOverlap,
  type ScheduleTick,
  type ScheduleTickOutcome,
} from './domain/schedule.js';
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
export type { QueueControl } from './ports/queue-control.js';
export type { SessionPage } from './ports/session-store.js';
export { jsonLogger, silentLogger } from './runtime/logger.js';
export { ManualClock } from './runtime/manual-clock.js';
export { systemClock } from './runtime/system-clock.js';
export type { ApiKeyInfo, VerifiedKey } from './services/access/api-keys-service.js';
export type { TenantPage } from './services/access/tenants-service.js';
export type { JobOutputRead } from './services/artifacts/artifacts-service.js';
export type { HealthReport, StoreHealth } from './services/health/health-service.js';
export type { EventStreamOptions } from './services/jobs/event-stream.js';
export {
  type AnyJobDefinition,
  defineJob,
  type JobDefinition,
  type JobMap,
  type JobPlan,
  type ParametersSchema,
  type StageDefinition,
} from './services/jobs/job-definition.js';
export type { ListJobsInput } from './services/jobs/jobs-service.js';
export type { Pipeline } from './services/jobs/pipeline.js';
export type { SubmitInput, SubmitInputOf } from './services/jobs/submit.js';
export { SUBMIT_MANY_MAX, type SubmitManyItemError } from './services/jobs/submit-many.js';
export type { ReconcileCounts } from './services/maintenance/maintenance-service.js';
export type { OrphanCounts } from './services/maintenance/retention.js';
export type { RowRetentionCounts } from './services/maintenance/row-retention.js';
export type {
  ApiKeysService,
  ArtifactsService,
  DeadLettersService,
  HealthService,
  JobsService,
  MaintenanceService,
  PublicApi,
  QueuesService,
  RateLimitsService,
  SchedulesService,
  SessionsService,
  TenantsService,
  WorkersService,
} from './services/public-api.js';
export type { RedriveOutcome } from './services/queues/dead-letter-actions.js';
export type {
  DeadLetterList,
  DeadLetterView,
  DiscardReport,
  RedriveReport,
  SkippedLetter,
} from './services/queues/dead-letters-service.js';
export type { QueueStatus } from './services/queues/queues-service.js';
export type { CheckOptions, CheckOutcome, SlotOutcome } from './services/rate-limits/rate-limits-service.js';
export type { FireCounts } from './services/schedules/firing.js';
export type {
  ListSchedulesInput,
  SchedulePage,
  UpsertScheduleInput,
} from './services/schedules/schedules-service.js';
export type { ArchivedPage, EndSessionInput } from './services/sessions/sessions-service.js';
export {
  type AttemptOutcome,
  METRIC_NAMES,
  SPAN_NAMES,
  TELEMETRY_ATTRIBUTES,
  TELEMETRY_SCOPE,
} from './services/telemetry/names.js';
export type { TelemetryOptions } from './services/telemetry/telemetry.js';
export type { DalstonAdapters, PortName } from './services/wiring/adapters.js';
export type { TaskContext, TaskHandler } from './services/workers/context.js';
export type { ModuleRef, ThreadIsolationOptions } from './services/workers/isolation/isolation-options.js';
export type { ThreadTaskContext, ThreadTaskHandler } from './services/workers/isolation/thread-context.js';
export { TaskFailure } from './services/workers/task-failure.js';
export type {
  JobHandlers,
  StageContext,
  StageHandler,
  StageParents,
  TypedHandlers,
  TypedWorkerOptions,
} from './services/workers/typed-handlers.js';
export type { Worker, WorkerStats } from './services/workers/worker.js';
export type { CreateWorkerOptions } from './services/workers/workers-service.js';
