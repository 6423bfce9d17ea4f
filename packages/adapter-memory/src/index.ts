// Public surface of @dalston/adapter-memory. Keep this file to re-exports only.
export { MemoryApiKeyStore } from './api-key-store.js';
export { MemoryJobStore, type MemoryJobStoreOptions } from './job-store.js';
export { MemorySessionArchive } from './session-archive.js';
export { MemoryTenantStore } from './tenant-store.js';
