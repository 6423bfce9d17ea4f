import type { JsonObject } from './json.js';

/** What a tick does while the schedule's previous job is not terminal: `skip` it, or `allow` a second job. */
export const SCHEDULE_OVERLAPS = ['skip', 'allow'] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAPS)[number];

/**
 * Ticks missed while no engine ran (due more than the misfire grace ago): `latest` runs the
 * latest missed tick once, `none` runs none of them (the schedule waits for its next tick).
 */
export const SCHEDULE_CATCH_UPS = ['latest', 'none'] as const;
export type ScheduleCatchUp = (typeof SCHEDULE_CATCH_UPS)[number];

/**
 * A recurring job: a cron expression read in an IANA time zone; each tick submits one job
 * of `type` (the engine's only job type when null) with `parameters`. Times are epoch ms.
 */
export interface Schedule {
  id: string;
  tenantId: string;
  /** Job type passed to `jobs.submit`; null = the engine's default. */
  type: string | null;
  /** 5 fields (minute precision) or 6 (seconds first), croner syntax. */
  cron: string;
  /** IANA time zone the cron is read in, e.g. `Europe/Berlin`. */
  timezone: string;
  parameters: JsonObject;
  overlap: ScheduleOverlap;
  catchUp: ScheduleCatchUp;
  paused: boolean;
  /** The next tick to fire (epoch ms); null when the expression has no future time. */
  nextTick: number | null;
  /** The last tick claimed (fired, skipped or failed), or null. */
  lastTick: number | null;
  /** The job of the last tick that submitted one (for `overlap: 'skip'`), or null. */
  lastJobId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** `pending`: claimed, its job not yet submitted (a crashed or retried firing); the others are final. */
export const SCHEDULE_TICK_OUTCOMES = ['pending', 'submitted', 'skipped', 'failed'] as const;
export type ScheduleTickOutcome = (typeof SCHEDULE_TICK_OUTCOMES)[number];

/** One tick of a schedule, claimed exactly once across every engine instance. */
export interface ScheduleTick {
  scheduleId: string;
  /** The tick's time (epoch ms): the cron time it stands for, not when it fired. */
  tick: number;
  outcome: ScheduleTickOutcome;
  /** The job submitted for this tick, when `submitted`. */
  jobId: string | null;
  /** Why it was skipped or failed (`overlap`, `missed`, or the submit's error), else null. */
  reason: string | null;
  /** When it was claimed (epoch ms). */
  claimedAt: number;
}

/** The idempotency key of the job a tick submits: one job per (schedule, tick), whoever submits it. */
export const scheduleTickKey = (scheduleId: string, tick: number): string => `schedule:${scheduleId}:${tick}`;
