/**
 * The whole memory set in one call: every port in process, sharing one clock. Pass a
 * ManualClock to make leases, TTLs and windows move only when the test says so.
 */
import { type Clock, systemClock } from '@dalston/core/adapter';
import { MemoryApiKeyStore } from './api-key-store.js';
import { MemoryArtifactStore, type MemoryArtifactStoreOptions } from './artifact-store.js';
import { MemoryEventBus } from './event-bus.js';
import { MemoryJobStore } from './job-store.js';
import { MemoryRateLimitStore } from './rate-limit-store.js';
import { MemorySessionArchive } from './session-archive.js';
import { MemorySessionStore } from './session-store.js';
import { MemoryTenantStore } from './tenant-store.js';
import { MemoryWorkQueue } from './work-queue.js';

export interface MemoryAdaptersOptions {
  /** Shared by every adapter. Default: the system clock. */
  clock?: Clock;
  /** Bucket and key prefix shown in `memory://` URIs. */
  artifacts?: Pick<MemoryArtifactStoreOptions, 'bucket' | 'prefix'>;
}

export interface MemoryAdapters {
  jobStore: MemoryJobStore;
  tenantStore: MemoryTenantStore;
  apiKeyStore: MemoryApiKeyStore;
  sessionArchive: MemorySessionArchive;
  workQueue: MemoryWorkQueue;
  sessionStore: MemorySessionStore;
  rateLimitStore: MemoryRateLimitStore;
  eventBus: MemoryEventBus;
  artifactStore: MemoryArtifactStore;
  clock: Clock;
}

/** A fresh, independent memory adapter for every port. */
export function memoryAdapters(options: MemoryAdaptersOptions = {}): MemoryAdapters {
  const clock = options.clock ?? systemClock;
  return {
    jobStore: new MemoryJobStore({ clock }),
    tenantStore: new MemoryTenantStore(),
    apiKeyStore: new MemoryApiKeyStore(),
    sessionArchive: new MemorySessionArchive(),
    workQueue: new MemoryWorkQueue({ clock }),
    sessionStore: new MemorySessionStore({ clock }),
    rateLimitStore: new MemoryRateLimitStore({ clock }),
    eventBus: new MemoryEventBus({ clock }),
    artifactStore: new MemoryArtifactStore({ clock, ...options.artifacts }),
    clock,
  };
}
