// Public surface of the services (re-exported by the package index).

export { type ApiKeyInfo, ApiKeysService, type VerifiedKey } from './access/api-keys-service.js';
export { TenantsService } from './access/tenants-service.js';
export { ArtifactsService, type JobOutputRead } from './artifacts/artifacts-service.js';
export type { DalstonAdapters, PortName } from './engine/adapters.js';
export { PORT_NAMES } from './engine/adapters.js';
export {
  type AnyJobDefinition,
  defineJob,
  type JobDefinition,
  type JobMap,
  type JobPlan,
  type ParametersSchema,
  type StageDefinition,
} from './engine/job-definition.js';
export type { JobType, JobTypes } from './engine/job-types.js';
export type { Pipeline } from './engine/pipeline.js';
export { type HealthReport, HealthService, type StoreHealth } from './health/health-service.js';
export { JobCommands } from './jobs/commands.js';
export type { EventStreamOptions } from './jobs/event-stream.js';
export { JobsService, type ListJobsInput } from './jobs/jobs-service.js';
export type { SubmitInput, SubmitInputOf } from './jobs/submit.js';
export { SUBMIT_MANY_MAX, type SubmitManyItemError } from './jobs/submit-many.js';
export { MaintenanceService, type ReconcileCounts } from './maintenance/maintenance-service.js';
export type { OrphanCounts } from './maintenance/retention.js';
export type { RowRetentionCounts } from './maintenance/row-retention.js';
export type { RedriveOutcome } from './queues/dead-letter-actions.js';
export {
  type DeadLetterList,
  DeadLettersService,
  type DeadLetterView,
  type DiscardReport,
  type RedriveReport,
  type SkippedLetter,
} from './queues/dead-letters-service.js';
export { type QueueStatus, QueuesService } from './queues/queues-service.js';
export type { CheckOptions, CheckOutcome, SlotOutcome } from './rate-limits/rate-limits-service.js';
export { RateLimitsService } from './rate-limits/rate-limits-service.js';
export type { FireCounts } from './schedules/firing.js';
export {
  type ListSchedulesInput,
  type SchedulePage,
  SchedulesService,
  type UpsertScheduleInput,
} from './schedules/schedules-service.js';
export { type EndSessionInput, SessionsService } from './sessions/sessions-service.js';
export {
  type AttemptOutcome,
  METRIC_NAMES,
  SPAN_NAMES,
  TELEMETRY_ATTRIBUTES,
  TELEMETRY_SCOPE,
} from './telemetry/names.js';
export { Telemetry, type TelemetryOptions } from './telemetry/telemetry.js';
export type { TaskContext, TaskHandler } from './workers/context.js';
export type { ModuleRef, ThreadIsolationOptions } from './workers/isolation/isolation-options.js';
export type { ThreadTaskContext, ThreadTaskHandler } from './workers/isolation/thread-context.js';
export { TaskFailure } from './workers/task-failure.js';
export type {
  JobHandlers,
  StageContext,
  StageHandler,
  StageParents,
  TypedHandlers,
  TypedWorkerOptions,
} from './workers/typed-handlers.js';
export type { Worker, WorkerStats } from './workers/worker.js';
export { type CreateWorkerOptions, WorkersService } from './workers/workers-service.js';
