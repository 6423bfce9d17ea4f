/**
 * The schedule methods of the JobStore (PostgreSQL in production): schedule definitions
 * and the tick ledger that makes "one job per tick" hold across any number of engine
 * instances. A tick is claimed by inserting `(scheduleId, tick)` under a unique key; only
 * the caller whose insert went in submits that tick's job.
 *
 * Deliberately left out: cron arithmetic, time zones, catch-up and overlap rules (core
 * computes every `nextTick` and decides what a tick does), and job creation (createJob).
 *
 * Errors: every method rejects with a DalstonError; infrastructure failures are
 * `STORE_UNAVAILABLE` with `store: 'jobStore'` and the method name as `operation`. Inputs
 * are validated by core; the store trusts them. Times are epoch milliseconds.
 */
import type { Schedule, ScheduleTick, ScheduleTickOutcome } from '../domain/schedule.js';

export type { Schedule, ScheduleTick } from '../domain/schedule.js';

export interface ClaimScheduleTick {
  scheduleId: string;
  /** The tick being claimed (epoch ms). */
  tick: number;
  /** The schedule's next tick after this one (epoch ms), or null when there is none. */
  nextTick: number | null;
  /** Outcome the tick is recorded with: `pending` (its job is to be submitted) or `skipped`. */
  outcome: 'pending' | 'skipped';
  /** Why, for a `skipped` claim; else null. */
  reason: string | null;
  /** When it was claimed (epoch ms). */
  claimedAt: number;
  /** Also deletes this schedule's settled ticks older than this (epoch ms), keeping the ledger bounded. */
  pruneBefore: number;
}

export interface SettleScheduleTick {
  scheduleId: string;
  tick: number;
  outcome: Exclude<ScheduleTickOutcome, 'pending'>;
  /** The submitted job (outcome `submitted`), else null. */
  jobId: string | null;
  reason: string | null;
}

export interface JobStoreSchedules {
  /**
   * Inserts the schedule, or replaces every field of the stored one except `createdAt`
   * (kept). Returns the schedule as stored. Idempotent.
   */
  upsertSchedule(schedule: Schedule): Promise<Schedule>;

  /** The schedule, or null when there is none with this id. */
  getSchedule(id: string): Promise<Schedule | null>;

  /** Schedules in id order (code-unit order), after `afterId` when given. `limit` 1..1000. */
  listSchedules(limit: number, afterId?: string): Promise<Schedule[]>;

  /**
   * Sets `paused`, `nextTick` and `updatedAt` of the schedule; returns it as stored, or
   * null when there is none. Idempotent.
   */
  setSchedulePaused(
    id: string,
    paused: boolean,
    nextTick: number | null,
    updatedAt: number,
  ): Promise<Schedule | null>;

  /** Deletes the schedule and its ticks (not the jobs they submitted). False when there was none. */
  deleteSchedule(id: string): Promise<boolean>;

  /**
   * Schedules not paused whose `nextTick` is at or before `now`, ordered by (nextTick, id).
   * `limit` 1..1000. Read-only.
   */
  dueSchedules(now: number, limit: number): Promise<Schedule[]>;

  /**
   * Claims one tick, atomically: records `(scheduleId, tick)` with the claim's outcome and
   * moves the schedule's `nextTick` to `claim.nextTick` and `lastTick` to `claim.tick`
   * (and deletes the schedule's settled ticks before `claim.pruneBefore`).
   * Returns true when this call recorded it; false (writing nothing) when the tick was
   * already claimed, by anyone, or the schedule does not exist. At most one of any number
   * of concurrent calls for the same `(scheduleId, tick)` returns true.
   */
  claimScheduleTick(claim: ClaimScheduleTick): Promise<boolean>;

  /**
   * Records a claimed tick's final outcome; with a `jobId`, also sets the schedule's
   * `lastJobId`. A tick that is unknown or already final is left as it is (returns false).
   */
  settleScheduleTick(settle: SettleScheduleTick): Promise<boolean>;

  /** Ticks still `pending` (claimed, not settled), oldest claim first. `limit` 1..1000. Read-only. */
  pendingScheduleTicks(limit: number): Promise<ScheduleTick[]>;

  /** The schedule's ticks, newest tick first. `limit` 1..1000; an unknown schedule has none. */
  listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]>;
}
