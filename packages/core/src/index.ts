// Public surface of @dalston/core. Keep this file to re-exports only.

export * from './config.js';
export * from './create-dalston.js';
export * from './domain/api-key.js';
export * from './domain/artifact-key.js';
export * from './domain/backoff.js';
export * from './domain/change.js';
export * from './domain/dag.js';
export * from './domain/errors.js';
export * from './domain/events.js';
export * from './domain/job.js';
export * from './domain/json.js';
export * from './domain/rate-limit.js';
export * from './domain/rate-limit-algorithms.js';
export * from './domain/schemas.js';
export * from './domain/session.js';
export * from './domain/task.js';
export * from './domain/tenant.js';
export * from './domain/transitions.js';
export { guardAdapters, guardPortNamed } from './port-guard/index.js';
export type * from './ports/index.js';
export { timeOrderedIds } from './runtime/ids.js';
export { jsonLogger, silentLogger } from './runtime/logger.js';
export { ManualClock } from './runtime/manual-clock.js';
export { systemClock } from './runtime/system-clock.js';
export * from './services/index.js';
export * from './tokens.js';
