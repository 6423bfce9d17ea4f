/**
 * The session sweep: closes as `interrupted` the active records whose live state expired.
 * It pages through the active records oldest first with a keyset cursor, so any number of
 * live sessions ahead of an expired one never hide it, and stops when its time budget is
 * spent, resuming from the cursor next pass (kept by the service instance: losing it only
 * restarts the round).
 */
import type { Clock } from '../../ports/clock.js';
import type { SessionArchive, SessionCursor } from '../../ports/session-archive.js';
import type { SessionStore } from '../../ports/session-store.js';
import type { SessionsService } from '../sessions/sessions-service.js';
import { mapLimited, type PassBudget } from './pass-budget.js';

const PAGE = 500;
/** A record this young may be between its archive open and its live create: never swept. */
const SESSION_START_GRACE_MS = 1000;
/** Live-state lookups at once. */
const WIDTH = 16;

export interface SessionSweepDeps {
  sessionArchive: SessionArchive;
  sessionStore: SessionStore;
  sessions: SessionsService;
  clock: Clock;
}

/** Where the sweep stands: the last record of its previous page, or null at the start of a round. */
export interface SessionSweepCursor {
  after: SessionCursor | null;
}

export async function sweepExpiredSessions(
  deps: SessionSweepDeps,
  cursor: SessionSweepCursor,
  budget: PassBudget,
): Promise<number> {
  const startedBefore = deps.clock.now() - SESSION_START_GRACE_MS;
  let swept = 0;
  for (;;) {
    const records = await deps.sessionArchive.listActive(startedBefore, PAGE, cursor.after ?? undefined);
    const closed = await mapLimited(records, WIDTH, async (r) => {
      if (await deps.sessionStore.get(r.tenantId, r.id)) return false;
      const ended = await deps.sessions.end(r.tenantId, r.id, {
        status: 'interrupted',
        error: 'live state expired',
      });
      return ended.isOk() && ended.value.status === 'interrupted';
    });
    swept += closed.filter(Boolean).length;
    const last = records[records.length - 1];
    cursor.after = records.length < PAGE || !last ? null : { startedAt: last.startedAt, id: last.id };
    if (cursor.after === null || budget.spent) return swept;
  }
}
