/**
 * Cron arithmetic for schedules, on croner (a maintained parser, MIT): the next tick after
 * an instant and the latest tick at or before one, read in an IANA time zone. Pure: time
 * comes in as an argument; croner runs no timer here (no callback is given).
 *
 * DST: a local time that does not exist (spring forward) fires at the first instant after
 * the gap (02:30 → 03:00 on the night Europe/Berlin skips 02:00–03:00); a local time that
 * exists twice (fall back) fires once.
 */
import { Cron } from 'croner';

const cache = new Map<string, Cron>();
const CACHE_MAX = 1000;

/** The parsed expression (cached); throws croner's error for a bad pattern or zone. */
export function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone}\u0000${expression}`;
  let cron = cache.get(key);
  if (!cron) {
    cron = new Cron(expression, { timezone, paused: true });
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, cron);
  }
  return cron;
}

/** The first tick strictly after `at` (epoch ms), or null when the expression has none. */
export function nextTickAfter(cron: Cron, at: number): number | null {
  return cron.nextRun(new Date(at))?.getTime() ?? null;
}

/** The latest tick at or before `at` (epoch ms), or null when there is none. */
export function latestTickAtOrBefore(cron: Cron, at: number): number | null {
  return cron.previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null;
}

/** True when `timezone` is an IANA zone this runtime knows. */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Why `expression` is not a usable cron expression (null when it is), checked at `now`. */
export function cronProblem(expression: string, timezone: string, now: number): string | null {
  let cron: Cron;
  try {
    cron = cronFor(expression, timezone);
  } catch (e) {
    return e instanceof Error ? e.message : 'could not be parsed';
  }
  return nextTickAfter(cron, now) === null ? 'never fires after now' : null;
}
