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
import type { DeadLetter, WorkQueue } from '../../ports/work-queue.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { JobTransitions } from '../transitions/job-transitions.js';
import { jobSlotKey, messageFor, sessionSlotKey } from '../transitions/keys.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import { mapLimited, type PassBudget } from './pass-budget.js';
import type { RequeueCursor } from './requeue-cursor.js';

const PAGE = 500;
/** Upper bound on pages per pass, so one pass always ends. */
const MAX_PAGES = 100;
/** Dead letters handled at once (each is one serialised job update). */
const LETTER_WIDTH = 8;

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
  /** Counts the dead letters processed. */
  telemetry?: Telemetry;
}

/**
 * Enqueues the ready tasks whose message may be missing (idempotent per attempt; keeps
 * notBefore): those changed since the last pass, or all of them after a queue wipe or
 * every `requeueFullSweepMs` (see RequeueCursor). Pages until done or the budget is spent,
 * then resumes there next pass. Returns how many messages were added.
 */
export async function requeueReady(
  deps: ReconcileDeps,
  cursor: RequeueCursor,
  budget: PassBudget,
): Promise<number> {
  const scan = await cursor.plan(
    deps.jobStore,
    deps.workQueue,
    deps.clock.now(),
    deps.config.requeueFullSweepMs,
  );
  const options = scan.changedSince === null ? {} : { changedSince: scan.changedSince };
  let added = 0;
  for (;;) {
    const tasks: Task[] = await deps.jobStore.findReadyTasks(PAGE, scan.after, options);
    if (tasks.length > 0) {
      added += await deps.workQueue.enqueue(tasks.map((t) => messageFor(t, deps.config.maxDeliveries)));
      scan.after = tasks[tasks.length - 1]!.id;
    }
    if (tasks.length < PAGE) {
      cursor.finish(scan);
      return added;
    }
    if (budget.spent) return added;
  }
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
 * Fails the tasks whose current attempt's message was dead-lettered, reading each queue's
 * unprocessed dead letters page by page and marking each page processed once handled, so
 * a letter is read once however many the queue keeps (they stay listed for operators).
 * Stops when the budget is spent; the next pass goes on from the first unprocessed letter.
 * A repeated letter changes nothing (terminal states are absorbing).
 */
export async function failDeadLettered(deps: ReconcileDeps, budget: PassBudget): Promise<number> {
  let applied = 0;
  for (const queue of deps.runtime.queues) {
    for (;;) {
      const letters = await deps.workQueue.unprocessedDeadLetters(queue, PAGE);
      if (letters.length === 0) break;
      deps.telemetry?.countDeadLetters(queue, letters.length);
      const outcomes = await mapLimited(letters, LETTER_WIDTH, (letter) => failLetter(deps, letter));
      applied += outcomes.filter(Boolean).length;
      await deps.workQueue.markDeadLettersProcessed(
        queue,
        letters.map((l) => l.id),
      );
      if (letters.length < PAGE || budget.spent) break;
    }
    if (budget.spent) break;
  }
  return applied;
}

/** Fails the letter's task when the letter is for its current attempt. True when applied. */
async function failLetter(deps: ReconcileDeps, letter: DeadLetter): Promise<boolean> {
  const m = letter.message;
  if (!m) return false;
  const snapshot = await deps.jobStore.getSnapshot(m.tenantId, m.jobId);
  const task = snapshot?.tasks.find((t) => t.id === m.taskId);
  if (!task || task.attempt !== m.attempt) return false;
  const outcome = await deps.transitions.apply(m.jobId, {
    kind: 'deadLettered',
    taskId: m.taskId,
    reason: letter.reason,
  });
  return outcome.applied;
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
