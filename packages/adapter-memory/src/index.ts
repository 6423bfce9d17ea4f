// Public surface of @dalston/adapter-memory. Keep this file to re-exports only.

export { ManualClock } from '@dalston/core/adapter';
export { MemoryApiKeyStore } from './api-key-store.js';
export { MemoryArtifactStore, type MemoryArtifactStoreOptions } from './artifact-store.js';
export { MemoryEventBus, type MemoryEventBusOptions } from './event-bus.js';
export { MemoryJobStore, type MemoryJobStoreOptions } from './job-store.js';
export { type MemoryAdapters, type MemoryAdaptersOptions, memoryAdapters } from './memory-adapters.js';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './rate-limit-store.js';
export { MemorySessionArchive } from './session-archive.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './session-store.js';
export { MemoryTenantStore } from './tenant-store.js';
export { MemoryWorkQueue, type MemoryWorkQueueOptions } from './work-queue.js';
