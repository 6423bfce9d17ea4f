/**
 * The set of adapters an engine is built from: the nine ports and a clock.
 * `memoryAdapters()`, `postgresAdapters()`… return (parts of) this shape.
 */
import type { ApiKeyStore } from '../../ports/api-key-store.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { JobStore } from '../../ports/job-store.js';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import type { SessionStore } from '../../ports/session-store.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import type { WorkQueue } from '../../ports/work-queue.js';

export interface DalstonAdapters {
  jobStore: JobStore;
  tenantStore: TenantStore;
  apiKeyStore: ApiKeyStore;
  sessionArchive: SessionArchive;
  workQueue: WorkQueue;
  sessionStore: SessionStore;
  rateLimitStore: RateLimitStore;
  eventBus: EventBus;
  artifactStore: ArtifactStore;
  clock: Clock;
}

export const PORT_NAMES = [
  'jobStore',
  'tenantStore',
  'apiKeyStore',
  'sessionArchive',
  'workQueue',
  'sessionStore',
  'rateLimitStore',
  'eventBus',
  'artifactStore',
] as const satisfies readonly (keyof DalstonAdapters)[];

export type PortName = (typeof PORT_NAMES)[number];
