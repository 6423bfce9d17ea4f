// @dalston/core/contract: the published contract suite. One function per port, one for whole-engine flows.

export { apiKeyStoreContract } from './api-key-store.js';
export { artifactStoreContract } from './artifact-store.js';
export {
  jobWrite,
  makeApiKey,
  makeEvent,
  makeJob,
  makeSessionEvent,
  makeSessionRecord,
  makeTask,
  makeTenant,
  taskWrite,
} from './builders.js';
export * from './engine.js';
export { busEvent, eventBusContract } from './event-bus.js';
export * from './fixture.js';
export { jobStoreContract } from './job-store.js';
export { makeSchedule } from './job-store.schedules.js';
export { rateLimitStoreContract } from './rate-limit-store.js';
export { sessionArchiveContract } from './session-archive.js';
export { liveSession, sessionStoreContract } from './session-store.js';
export { tenantStoreContract } from './tenant-store.js';
export * from './work-queue.js';
