/**
 * Retention passes: purge the objects of jobs past their purgeAfter (the row stays, with
 * purgedAt), and sweep objects no row refers to (after a grace period, so a submit that
 * wrote its input but has not yet created its row is left alone).
 */
import { jobPrefix, parseArtifactKey } from '../../domain/artifact-key.js';
import type { ArtifactInfo, ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { SessionArchive } from '../../ports/session-archive.js';

export interface RetentionDeps {
  jobStore: JobStore;
  artifacts: ArtifactStore;
  sessionArchive: SessionArchive;
  clock: Clock;
  logger: Logger;
}

/** Deletes every object of each job due for purge, checks the prefix is empty, then sets purgedAt. */
export async function purgeDue(deps: RetentionDeps, limit = 100): Promise<number> {
  const now = deps.clock.now();
  const due = await deps.jobStore.findJobsDueForPurge(now, limit);
  let purged = 0;
  for (const job of due) {
    const prefix = jobPrefix(job.tenantId, job.id);
    await deps.artifacts.deletePrefix(prefix);
    const left = await deps.artifacts.list(prefix, { limit: 1 });
    if (left.items.length > 0) {
      deps.logger.warn('purge left objects behind; will retry', { jobId: job.id });
      continue;
    }
    if (await deps.jobStore.markPurged(job.id, now)) purged++;
  }
  return purged;
}

export interface OrphanCounts {
  deleted: number;
  abortedUploads: number;
}

/** Deletes objects older than `graceMs` whose job (or session record) does not exist. */
export async function sweepOrphanObjects(deps: RetentionDeps, graceMs: number): Promise<OrphanCounts> {
  const cutoff = deps.clock.now() - graceMs;
  let deleted = 0;
  let cursor: string | null = null;
  do {
    const page = await deps.artifacts.list('tenants/', { limit: 1000, cursor });
    const old = page.items.filter((i) => i.lastModified < cutoff);
    deleted += await deleteOrphans(deps, old);
    cursor = page.nextCursor;
  } while (cursor);
  const abortedUploads = await deps.artifacts.abortStaleUploads(graceMs);
  return { deleted, abortedUploads };
}

async function deleteOrphans(deps: RetentionDeps, items: ArtifactInfo[]): Promise<number> {
  const parsed = items.flatMap((item) => {
    const r = parseArtifactKey(item.key);
    return r.isOk() ? [{ item, key: r.value }] : [];
  });
  const jobIds = [...new Set(parsed.flatMap((p) => (p.key.jobId ? [p.key.jobId] : [])))];
  const existing = jobIds.length > 0 ? await deps.jobStore.existingJobIds(jobIds) : new Set<string>();
  let deleted = 0;
  for (const { item, key } of parsed) {
    const orphan = key.jobId
      ? !existing.has(key.jobId)
      : key.sessionId !== undefined && (await deps.sessionArchive.get(key.tenantId, key.sessionId)) === null;
    if (!orphan) continue;
    await deps.artifacts.delete(item.key);
    deleted++;
  }
  return deleted;
}
