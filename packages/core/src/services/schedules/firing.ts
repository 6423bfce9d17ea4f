/**
 * The schedule firing pass (run under the JobStore's exclusive pass `dalston:schedules`, so
 * one instance fires at a time; the tick ledger's unique (schedule, tick) makes one job per
 * tick hold even if two passes ever overlapped). For each due schedule, one tick at a time:
 *
 * 1. Which tick: `nextTick`, unless it is older than the misfire grace (no engine ran when
 *    it was due). Then the ticks within the grace run (the first of them now); when there
 *    are none, `catchUp: 'latest'` runs the latest missed tick once and `'none'` records it
 *    as skipped (`missed`). Older missed ticks are dropped.
 * 2. `overlap: 'skip'` while the previous job of the schedule is not terminal: the tick is
 *    recorded as skipped (`overlap`).
 * 3. Claim the tick (ledger insert + move `nextTick` on, one atomic store call), then
 *    submit its job with the idempotency key `schedule:<id>:<tick>` and settle the tick.
 *
 * A submit that fails with STORE_UNAVAILABLE leaves the tick `pending`: the next pass
 * submits it again (the idempotency key makes a job that did commit come back, not a
 * second one); so does a crash between claim and submit. Other refusals (RATE_LIMITED, a
 * disabled tenant, parameters the pipeline refuses) settle the tick `failed` with the reason.
 */
import { isTerminalJobStatus, type Job } from '../../domain/job.js';
import { type Schedule, scheduleTickKey } from '../../domain/schedule.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { SubmitInput } from '../jobs/submit.js';
import type { PassBudget } from '../maintenance/pass-budget.js';
import { cronFor, latestTickAtOrBefore, nextTickAfter } from './cron.js';

/** A tick due longer ago than this was missed (no engine fired it in time). */
export const SCHEDULE_MISFIRE_GRACE_MS = 60_000;
/**
 * The tick ledger keeps, per schedule, the ticks of the last 24 hours or about the last 100
 * ticks (100 times the current interval), whichever is more; older settled ticks are pruned
 * when a newer tick is claimed.
 */
export const SCHEDULE_TICK_HISTORY_MS = 24 * 60 * 60_000;
export const SCHEDULE_TICK_HISTORY_COUNT = 100;
const PAGE = 100;
const MAX_ROUNDS = 50;

export interface FireCounts {
  /** Ticks whose job was submitted (including retried pending ticks). */
  submitted: number;
  /** Ticks recorded as skipped (overlap, missed). */
  skipped: number;
  /** Ticks whose submit was refused (settled `failed`). */
  failed: number;
  /** Ticks left pending for the next pass (the stores were unavailable). */
  pending: number;
}

export interface FiringDeps {
  jobStore: JobStore;
  clock: Clock;
  logger: Logger;
  submit(input: SubmitInput): Promise<{ ok: true; job: Job } | { ok: false; code: string; message: string }>;
}

export const emptyFireCounts = (): FireCounts => ({ submitted: 0, skipped: 0, failed: 0, pending: 0 });

/** One firing pass: pending ticks first, then due schedules until none is due or the budget is spent. */
export async function fireDueSchedules(deps: FiringDeps, budget: PassBudget): Promise<FireCounts> {
  const counts = emptyFireCounts();
  for (const t of await deps.jobStore.pendingScheduleTicks(PAGE)) {
    const s = await deps.jobStore.getSchedule(t.scheduleId);
    if (s) await submitTick(deps, s, t.tick, counts);
  }
  const tried = new Set<string>();
  // Only what is due when the pass starts: a tick falling due meanwhile is the next pass's
  // (any instance's), so one pass never holds the firing for long.
  const now = deps.clock.now();
  for (let round = 0; round < MAX_ROUNDS && !budget.spent; round++) {
    const due = (await deps.jobStore.dueSchedules(now, PAGE)).filter(
      (s) => !tried.has(`${s.id}@${s.nextTick}`),
    );
    if (due.length === 0) break;
    for (const s of due) {
      tried.add(`${s.id}@${s.nextTick}`);
      await fireOne(deps, s, now, counts);
    }
  }
  return counts;
}

/** Which tick a due schedule fires now, and whether it runs or is recorded as missed. */
export function tickToFire(s: Schedule, now: number): { tick: number; missed: boolean } {
  const cron = cronFor(s.cron, s.timezone);
  const due = s.nextTick!;
  const cutoff = now - SCHEDULE_MISFIRE_GRACE_MS;
  if (due >= cutoff) return { tick: due, missed: false };
  const recent = nextTickAfter(cron, cutoff - 1);
  if (recent !== null && recent <= now) return { tick: recent, missed: false };
  const latest = latestTickAtOrBefore(cron, now) ?? due;
  return { tick: Math.max(latest, due), missed: s.catchUp === 'none' };
}

async function fireOne(deps: FiringDeps, s: Schedule, now: number, counts: FireCounts): Promise<void> {
  const { tick, missed } = tickToFire(s, now);
  const reason = missed ? 'missed' : (await previousStillRunning(deps, s)) ? 'overlap' : null;
  const cron = cronFor(s.cron, s.timezone);
  const nextTick = nextTickAfter(cron, tick);
  const keepFrom = nextTick === null ? 0 : tick - SCHEDULE_TICK_HISTORY_COUNT * (nextTick - tick);
  const claimed = await deps.jobStore.claimScheduleTick({
    scheduleId: s.id,
    tick,
    nextTick,
    outcome: reason === null ? 'pending' : 'skipped',
    reason,
    claimedAt: now,
    pruneBefore: Math.max(0, Math.min(now - SCHEDULE_TICK_HISTORY_MS, keepFrom)),
  });
  if (!claimed) {
    // Claimed before (a clock that went back, a schedule re-pointed at an old tick): move on.
    const fresh = await deps.jobStore.getSchedule(s.id);
    if (fresh && !fresh.paused && fresh.nextTick === s.nextTick) {
      await deps.jobStore.setSchedulePaused(s.id, false, nextTick, now);
    }
    return;
  }
  if (reason !== null) {
    counts.skipped++;
    deps.logger.info('schedule tick skipped', { scheduleId: s.id, tick, reason });
    return;
  }
  await submitTick(deps, s, tick, counts);
}

async function previousStillRunning(deps: FiringDeps, s: Schedule): Promise<boolean> {
  if (s.overlap !== 'skip' || s.lastJobId === null) return false;
  const job = await deps.jobStore.getJob(s.tenantId, s.lastJobId);
  return job !== null && !isTerminalJobStatus(job.status);
}

/** Submits the tick's job (idempotent per tick) and settles the tick. */
async function submitTick(deps: FiringDeps, s: Schedule, tick: number, counts: FireCounts): Promise<void> {
  const input: SubmitInput & { type?: string } = {
    tenantId: s.tenantId,
    parameters: s.parameters,
    idempotencyKey: scheduleTickKey(s.id, tick),
    ...(s.type === null ? {} : { type: s.type }),
  };
  const r = await deps.submit(input);
  if (r.ok) {
    await deps.jobStore.settleScheduleTick({
      scheduleId: s.id,
      tick,
      outcome: 'submitted',
      jobId: r.job.id,
      reason: null,
    });
    counts.submitted++;
    return;
  }
  const context = { scheduleId: s.id, tick, code: r.code, error: r.message };
  if (r.code === 'STORE_UNAVAILABLE') {
    counts.pending++;
    deps.logger.warn('schedule tick not submitted; the next pass retries it', context);
    return;
  }
  await deps.jobStore.settleScheduleTick({
    scheduleId: s.id,
    tick,
    outcome: 'failed',
    jobId: null,
    reason: `${r.code}: ${r.message}`.slice(0, 1000),
  });
  counts.failed++;
  deps.logger.warn('schedule tick failed', context);
}
