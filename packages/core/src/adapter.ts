// Public surface of @dalston/core/adapter, for adapter authors: the port types, the domain
// types they store, the zod schemas to read stored values back with, artifact key helpers,
// the rate-limit math, the job transitions a store applies, and the error helpers every
// adapter reports with. Keep this file to re-exports only; every change shows up in
// packages/core/api/adapter.api.md (`npm run api:report`).

export { API_KEY_SCOPES, type ApiKeyRecord, type ApiKeyScope } from './domain/api-key.js';
export * from './domain/artifact-key.js';
export * from './domain/change.js';
export * from './domain/errors.js';
export * from './domain/events.js';
export * from './domain/job.js';
export * from './domain/job-details.js';
export * from './domain/json.js';
export * from './domain/queue-message.js';
export * from './domain/rate-limit.js';
export * from './domain/rate-limit-algorithms.js';
export * from './domain/schedule.js';
export * from './domain/schemas.js';
export * from './domain/session.js';
export * from './domain/task.js';
export * from './domain/tenant.js';
export * from './domain/transitions.js';
export { guardAdapters, guardPortNamed } from './port-guard/index.js';
export type * from './ports/index.js';
export { timeOrderedIds } from './runtime/ids.js';
export { silentLogger } from './runtime/logger.js';
export { ManualClock } from './runtime/manual-clock.js';
export { systemClock } from './runtime/system-clock.js';
export { type DalstonAdapters, PORT_NAMES, type PortName } from './services/wiring/adapters.js';
