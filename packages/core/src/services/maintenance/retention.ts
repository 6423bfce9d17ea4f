/**
 * Retention passes: purge the objects of jobs past their purgeAfter (the row stays, with
 * purgedAt and a `job.purged` event), and sweep objects no row refers to (after a grace
 * period, so a submit that wrote its input but has not yet created its row is left alone).
 * Both page with a cursor and stop when their time budget is spent, resuming next pass.
 */
import { jobPrefix, parseArtifactKey } from '../../domain/artifact-key.js';
import { type DalstonError, toDalstonError } from '../../domain/errors.js';
import type { NewEvent } from '../../domain/events.js';
import type { Job } from '../../domain/job.js';
import type { ArtifactInfo, ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore, PurgeCursor } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import { mapLimited, type PassBudget } from './pass-budget.js';

export interface RetentionDeps {
  jobStore: JobStore;
  artifacts: ArtifactStore;
  sessionArchive: SessionArchive;
  clock: Clock;
  logger: Logger;
}

const PURGE_PAGE = 100;
const LIST_PAGE = 1000;
/** Jobs purged at once (each is a delete, a list and one statement). */
const PURGE_WIDTH = 4;

/** Where the purge and orphan passes stand; kept by the maintenance service instance. */
export interface RetentionCursors {
  /** The last job of the purge's previous page when its pass ran out of budget. */
  purge: PurgeCursor | null;
  /** The listing's continuation when the orphan sweep ran out of budget. */
  orphans: string | null;
}

/** `job.purged`, recorded with purgedAt in one transaction. */
export function purgedEvent(job: Job, now: number): NewEvent {
  return {
    type: 'job.purged',
    tenantId: job.tenantId,
    jobId: job.id,
    taskId: null,
    sessionId: null,
    payload: { status: job.status, purgedAt: now },
    correlationId: job.correlationId,
    at: now,
  };
}

/**
 * Deletes every object of each job due for purge, checks the prefix is empty, then sets
 * purgedAt and records `job.purged`. Pages (keyset after the last job seen, so a job whose
 * objects would not go is not read again this round) until done or the budget is spent;
 * an unfinished round resumes from its cursor next pass.
 */
export async function purgeDue(
  deps: RetentionDeps,
  cursors: RetentionCursors,
  budget: PassBudget,
): Promise<number> {
  const now = deps.clock.now();
  let purged = 0;
  for (;;) {
    const due = await deps.jobStore.findJobsDueForPurge(now, PURGE_PAGE, cursors.purge ?? undefined);
    const done = await mapLimited(due, PURGE_WIDTH, (job) => purgeJob(deps, job, now));
    purged += done.filter(Boolean).length;
    const last = due[due.length - 1];
    cursors.purge = due.length < PURGE_PAGE || !last ? null : { purgeAfter: last.purgeAfter!, id: last.id };
    if (cursors.purge === null || budget.spent) return purged;
  }
}

async function purgeJob(deps: RetentionDeps, job: Job, now: number): Promise<boolean> {
  const prefix = jobPrefix(job.tenantId, job.id);
  await deps.artifacts.deletePrefix(prefix);
  const left = await deps.artifacts.list(prefix, { limit: 1 });
  if (left.items.length > 0) {
    deps.logger.warn('purge left objects behind; will retry', { jobId: job.id });
    return false;
  }
  return deps.jobStore.markPurged(job.id, now, [purgedEvent(job, now)]);
}

export interface OrphanCounts {
  deleted: number;
  abortedUploads: number;
  /**
   * Why aborting stale multipart uploads failed (the objects were still swept), or null.
   * The step runs only when the artifact store declares `abortStaleUploads`.
   */
  uploadsError: DalstonError | null;
  /** True when the listing reached its end this pass; false when it ran out of budget (it resumes there). */
  complete: boolean;
}

/**
 * Deletes objects older than `graceMs` whose job (or session record) does not exist, page by
 * page from where the previous pass stopped, until the listing ends or the budget is spent.
 * At the end of the listing, aborts stale multipart uploads when the store can; an error
 * there is reported in `uploadsError` and does not fail the pass.
 */
export async function sweepOrphanObjects(
  deps: RetentionDeps,
  graceMs: number,
  cursors: RetentionCursors,
  budget: PassBudget,
): Promise<OrphanCounts> {
  const cutoff = deps.clock.now() - graceMs;
  let deleted = 0;
  for (;;) {
    const page = await listFrom(deps, cursors);
    const old = page.items.filter((i) => i.lastModified < cutoff);
    deleted += await deleteOrphans(deps, old);
    cursors.orphans = page.nextCursor;
    if (!page.nextCursor) break;
    if (budget.spent) return { deleted, abortedUploads: 0, uploadsError: null, complete: false };
  }
  return { deleted, ...(await abortStaleUploads(deps, graceMs)), complete: true };
}

/** A listing page from the stored continuation; one the store no longer accepts restarts the listing. */
async function listFrom(deps: RetentionDeps, cursors: RetentionCursors) {
  try {
    return await deps.artifacts.list('tenants/', { limit: LIST_PAGE, cursor: cursors.orphans });
  } catch (e) {
    if (cursors.orphans === null || toDalstonError(e).code !== 'VALIDATION_FAILED') throw e;
    cursors.orphans = null;
    return deps.artifacts.list('tenants/', { limit: LIST_PAGE, cursor: null });
  }
}

async function abortStaleUploads(
  deps: RetentionDeps,
  graceMs: number,
): Promise<{ abortedUploads: number; uploadsError: DalstonError | null }> {
  if (!deps.artifacts.capabilities.abortStaleUploads) return { abortedUploads: 0, uploadsError: null };
  try {
    return { abortedUploads: await deps.artifacts.abortStaleUploads(graceMs), uploadsError: null };
  } catch (e) {
    const error = toDalstonError(e);
    deps.logger.warn('aborting stale multipart uploads failed; orphan objects were still swept', {
      code: error.code,
      error: error.message,
    });
    return { abortedUploads: 0, uploadsError: error };
  }
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
