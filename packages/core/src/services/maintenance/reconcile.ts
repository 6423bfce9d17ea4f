/**
 * The reconciler's passes. The JobStore is the source of truth; these passes rebuild
 * everything else from it, so a wiped queue or counter store heals by itself:
 * re-enqueue ready tasks, take back expired leases, fail tasks whose messages were
 * dead-lettered, and resync concurrency slots with the holders the stores know about.
 * Each pass is idempotent.
 */
import type { DalstonConfig } from '../../config.js';
import type { Task } from '../../domain/task.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import type { JobTransitions } from '../engine/job-transitions.js';
import { jobSlotKey, messageFor, sessionSlotKey } from '../engine/keys.js';
import type { EngineRuntime } from '../engine/runtime.js';

const PAGE = 500;
/** Upper bound on pages per pass, so one pass always ends. */
const MAX_PAGES = 100;

export interface ReconcileDeps {
  jobStore: JobStore;
  workQueue: WorkQueue;
  rateLimitStore: RateLimitStore;
  tenantStore: TenantStore;
  sessionArchive: SessionArchive;
  clock: Clock;
  config: DalstonConfig;
  transitions: JobTransitions;
  runtime: EngineRuntime;
}

/** Enqueues every ready task (idempotent per attempt; keeps notBefore). Returns how many were added. */
export async function requeueReady(deps: ReconcileDeps): Promise<number> {
  let added = 0;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const tasks: Task[] = await deps.jobStore.findReadyTasks(PAGE, after);
    if (tasks.length === 0) break;
    added += await deps.workQueue.enqueue(tasks.map((t) => messageFor(t, deps.config.maxDeliveries)));
    after = tasks[tasks.length - 1]!.id;
    if (tasks.length < PAGE) break;
  }
  return added;
}

/** Running tasks whose lease expired go back to ready as a new attempt (or fail past the ceiling). */
export async function expireLeases(deps: ReconcileDeps): Promise<number> {
  let applied = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const tasks = await deps.jobStore.findExpiredLeases(deps.clock.now(), PAGE);
    let progress = 0;
    for (const t of tasks) {
      const outcome = await deps.transitions.apply(t.jobId, {
        kind: 'leaseLost',
        taskId: t.id,
        attempt: t.attempt,
      });
      if (outcome.applied) progress++;
    }
    applied += progress;
    if (tasks.length < PAGE || progress === 0) break;
  }
  return applied;
}

/**
 * Fails the tasks whose current attempt's message was dead-lettered. The dead letters
 * stay for operators; a repeated pass changes nothing (terminal states are absorbing).
 */
export async function failDeadLettered(deps: ReconcileDeps): Promise<number> {
  let applied = 0;
  for (const queue of deps.runtime.queues) {
    const letters = await deps.workQueue.deadLetters(queue, 1000);
    for (const letter of letters) {
      const m = letter.message;
      if (!m) continue;
      const snapshot = await deps.jobStore.getSnapshot(m.tenantId, m.jobId);
      const task = snapshot?.tasks.find((t) => t.id === m.taskId);
      if (!task || task.attempt !== m.attempt) continue;
      const outcome = await deps.transitions.apply(m.jobId, {
        kind: 'deadLettered',
        taskId: m.taskId,
        reason: letter.reason,
      });
      if (outcome.applied) applied++;
    }
  }
  return applied;
}

/**
 * Resyncs every tenant's job and session slots with PostgreSQL: holders PostgreSQL shows
 * unfinished (non-terminal jobs, active sessions) are (re)added, so a wiped Redis heals;
 * other holders are removed only when the store says they were confirmed more than
 * `slotResyncGraceMs` before PostgreSQL was read, so a submit or session start whose row
 * is not committed yet keeps its slot (see RateLimitStore.reconcileSlots).
 */
export async function resyncSlots(deps: ReconcileDeps): Promise<number> {
  let tenants = 0;
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await deps.tenantStore.list(PAGE, after);
    for (const tenant of batch) {
      await resyncSlotKey(deps, jobSlotKey(tenant.id), deps.config.slotTtlMs, () =>
        deps.jobStore.nonTerminalJobIds(tenant.id),
      );
      await resyncSlotKey(deps, sessionSlotKey(tenant.id), deps.config.sessionTtlMs * 2, () =>
        deps.sessionArchive.activeIds(tenant.id),
      );
      tenants++;
    }
    if (batch.length < PAGE) break;
    after = batch[batch.length - 1]!.id;
  }
  return tenants;
}

/**
 * One slot key: reads the unfinished holders, then reconciles with a grace stretched by the
 * time the read and the call took (measured here; only that duration reaches the store,
 * whose own clock sets the cutoff), so the cutoff is "confirmed before the read − grace".
 */
async function resyncSlotKey(
  deps: ReconcileDeps,
  key: string,
  ttlMs: number,
  readUnfinished: () => Promise<string[]>,
): Promise<void> {
  const readFrom = deps.clock.now();
  const present = await readUnfinished();
  const elapsed = Math.max(0, Math.ceil(deps.clock.now() - readFrom));
  await deps.rateLimitStore.reconcileSlots(key, present, {
    ttlMs,
    graceMs: deps.config.slotResyncGraceMs + elapsed,
  });
}
