/**
 * JobStore contract: schedules and the tick ledger. Upsert keeps `createdAt`; lists page in
 * id order; due schedules come in (nextTick, id) order without paused or exhausted ones; a
 * tick is claimed once, also under concurrent claims, and the claim moves the schedule on
 * atomically; settling is final; deleting a schedule deletes its ticks; old settled ticks
 * are pruned by a later claim. Stores may be shared between tests, so every assertion looks
 * only at this test's schedules.
 */
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../domain/schedule.js';
import type { JobStore } from '../ports/job-store.js';
import type { PortFactory } from './fixture.js';
import { randomName } from './harness.js';
import { useFixture } from './store-helpers.js';

/** A time in a range no other test uses (so due/pending scans see only this test's rows). */
const BASE = Date.UTC(2030, 0, 1);

export function makeSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: randomName('sch'),
    tenantId: randomName('t'),
    type: null,
    cron: '* * * * *',
    timezone: 'UTC',
    parameters: { n: 1 },
    overlap: 'skip',
    catchUp: 'latest',
    paused: false,
    nextTick: BASE + 60_000,
    lastTick: null,
    lastJobId: null,
    createdAt: BASE,
    updatedAt: BASE,
    ...overrides,
  };
}

const claimOf = (
  s: Schedule,
  tick: number,
  over: Partial<Parameters<JobStore['claimScheduleTick']>[0]> = {},
) => ({
  scheduleId: s.id,
  tick,
  nextTick: tick + 60_000,
  outcome: 'pending' as const,
  reason: null,
  claimedAt: tick + 5,
  pruneBefore: 0,
  ...over,
});

export function jobStoreSchedulesContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore schedules`, () => {
    const fx = useFixture(factory);

    it('upserts, reads back, replaces (keeping createdAt) and misses unknown ids', async () => {
      const store = fx().port;
      const s = makeSchedule({ type: 'report', parameters: { deep: { list: [1, 'two', null] } } });
      expect(await store.upsertSchedule(s)).toEqual(s);
      expect(await store.getSchedule(s.id)).toEqual(s);
      const changed = {
        ...s,
        cron: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        paused: true,
        createdAt: BASE + 1,
      };
      const stored = await store.upsertSchedule({ ...changed, updatedAt: BASE + 2, overlap: 'allow' });
      expect(stored).toEqual({ ...changed, createdAt: BASE, updatedAt: BASE + 2, overlap: 'allow' });
      expect(await store.getSchedule(s.id)).toEqual(stored);
      expect(await store.getSchedule(randomName('missing'))).toBeNull();
    });

    it('lists in id order, a page after a cursor', async () => {
      const store = fx().port;
      const prefix = randomName('list');
      const ids = ['c', 'a', 'b', 'd'].map((x) => `${prefix}-${x}`);
      for (const id of ids) await store.upsertSchedule(makeSchedule({ id }));
      const first = await store.listSchedules(2, `${prefix}-`);
      expect(first.map((s) => s.id)).toEqual([`${prefix}-a`, `${prefix}-b`]);
      const second = await store.listSchedules(2, first[1]!.id);
      expect(second.map((s) => s.id)).toEqual([`${prefix}-c`, `${prefix}-d`]);
    });

    it('returns due schedules in (nextTick, id) order, without paused, future or exhausted ones', async () => {
      const store = fx().port;
      const now = BASE + 10 * 86_400_000 + Math.floor(Math.random() * 1000) * 60_000;
      const mine = {
        late: makeSchedule({ nextTick: now - 5000 }),
        exact: makeSchedule({ nextTick: now }),
        early: makeSchedule({ nextTick: now - 9000 }),
        paused: makeSchedule({ nextTick: now - 9000, paused: true }),
        future: makeSchedule({ nextTick: now + 1 }),
        exhausted: makeSchedule({ nextTick: null }),
      };
      for (const s of Object.values(mine)) await store.upsertSchedule(s);
      const ids = new Set(Object.values(mine).map((s) => s.id));
      const due = (await store.dueSchedules(now, 1000)).filter((s) => ids.has(s.id));
      expect(due.map((s) => s.id)).toEqual([mine.early.id, mine.late.id, mine.exact.id]);
    });

    it('claims a tick once and moves the schedule to its next tick', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      const tick = s.nextTick!;
      expect(await store.claimScheduleTick(claimOf(s, tick))).toBe(true);
      expect(await store.getSchedule(s.id)).toMatchObject({ nextTick: tick + 60_000, lastTick: tick });
      expect(await store.claimScheduleTick(claimOf(s, tick, { nextTick: tick + 999 }))).toBe(false);
      expect(await store.getSchedule(s.id)).toMatchObject({ nextTick: tick + 60_000, lastTick: tick });
      expect(await store.listScheduleTicks(s.id, 10)).toEqual([
        { scheduleId: s.id, tick, outcome: 'pending', jobId: null, reason: null, claimedAt: tick + 5 },
      ]);
    });

    it('lets exactly one of many concurrent claims of a tick win', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.claimScheduleTick(claimOf(s, s.nextTick!, { claimedAt: BASE + i })),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.listScheduleTicks(s.id, 10)).toHaveLength(1);
    });

    it('claims nothing for an unknown schedule', async () => {
      const store = fx().port;
      const s = makeSchedule();
      expect(await store.claimScheduleTick(claimOf(s, BASE))).toBe(false);
      expect(await store.listScheduleTicks(s.id, 10)).toEqual([]);
      expect(await store.getSchedule(s.id)).toBeNull();
    });

    it('records a skipped claim with its reason', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      await store.claimScheduleTick(claimOf(s, BASE, { outcome: 'skipped', reason: 'overlap' }));
      expect(await store.listScheduleTicks(s.id, 10)).toMatchObject([
        { outcome: 'skipped', reason: 'overlap' },
      ]);
      expect(
        await store.settleScheduleTick({
          scheduleId: s.id,
          tick: BASE,
          outcome: 'failed',
          jobId: null,
          reason: 'x',
        }),
      ).toBe(false);
    });

    it('settles a pending tick once, links its job, and lists pending ticks oldest claim first', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      const t1 = BASE + 60_000;
      const t2 = BASE + 120_000;
      await store.claimScheduleTick(claimOf(s, t1, { claimedAt: BASE + 10 }));
      await store.claimScheduleTick(claimOf(s, t2, { claimedAt: BASE + 20 }));
      const pending = (await store.pendingScheduleTicks(1000)).filter((t) => t.scheduleId === s.id);
      expect(pending.map((t) => t.tick)).toEqual([t1, t2]);
      const settle = {
        scheduleId: s.id,
        tick: t1,
        outcome: 'submitted' as const,
        jobId: 'job-1',
        reason: null,
      };
      expect(await store.settleScheduleTick(settle)).toBe(true);
      expect(
        await store.settleScheduleTick({ ...settle, outcome: 'failed', jobId: null, reason: 'late' }),
      ).toBe(false);
      expect((await store.getSchedule(s.id))?.lastJobId).toBe('job-1');
      await store.settleScheduleTick({
        scheduleId: s.id,
        tick: t2,
        outcome: 'failed',
        jobId: null,
        reason: 'RATE_LIMITED',
      });
      expect((await store.getSchedule(s.id))?.lastJobId).toBe('job-1');
      expect((await store.pendingScheduleTicks(1000)).filter((t) => t.scheduleId === s.id)).toEqual([]);
      expect(await store.listScheduleTicks(s.id, 10)).toEqual([
        {
          scheduleId: s.id,
          tick: t2,
          outcome: 'failed',
          jobId: null,
          reason: 'RATE_LIMITED',
          claimedAt: BASE + 20,
        },
        {
          scheduleId: s.id,
          tick: t1,
          outcome: 'submitted',
          jobId: 'job-1',
          reason: null,
          claimedAt: BASE + 10,
        },
      ]);
      expect(await store.listScheduleTicks(s.id, 1)).toHaveLength(1);
      expect(
        await store.settleScheduleTick({
          scheduleId: s.id,
          tick: BASE,
          outcome: 'submitted',
          jobId: 'j',
          reason: null,
        }),
      ).toBe(false);
    });

    it('prunes settled ticks older than pruneBefore on a later claim, keeping pending ones', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      const ticks = [1, 2, 3].map((i) => BASE + i * 60_000);
      for (const t of ticks) await store.claimScheduleTick(claimOf(s, t));
      await store.settleScheduleTick({
        scheduleId: s.id,
        tick: ticks[0]!,
        outcome: 'skipped',
        jobId: null,
        reason: null,
      });
      await store.settleScheduleTick({
        scheduleId: s.id,
        tick: ticks[2]!,
        outcome: 'skipped',
        jobId: null,
        reason: null,
      });
      await store.claimScheduleTick(claimOf(s, BASE + 10 * 60_000, { pruneBefore: ticks[2]! + 1 }));
      expect((await store.listScheduleTicks(s.id, 10)).map((t) => t.tick)).toEqual([
        BASE + 10 * 60_000,
        ticks[1],
      ]);
    });

    it('pauses and resumes with the given next tick; misses an unknown schedule', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      expect(await store.setSchedulePaused(s.id, true, null, BASE + 7)).toEqual({
        ...s,
        paused: true,
        nextTick: null,
        updatedAt: BASE + 7,
      });
      expect(await store.setSchedulePaused(s.id, false, BASE + 120_000, BASE + 8)).toMatchObject({
        paused: false,
        nextTick: BASE + 120_000,
      });
      expect(await store.setSchedulePaused(randomName('missing'), true, null, BASE)).toBeNull();
    });

    it('deletes a schedule with its ticks, once', async () => {
      const store = fx().port;
      const s = makeSchedule();
      await store.upsertSchedule(s);
      await store.claimScheduleTick(claimOf(s, BASE));
      expect(await store.deleteSchedule(s.id)).toBe(true);
      expect(await store.deleteSchedule(s.id)).toBe(false);
      expect(await store.getSchedule(s.id)).toBeNull();
      expect(await store.listScheduleTicks(s.id, 10)).toEqual([]);
      // The same id can be defined again, with a fresh ledger.
      await store.upsertSchedule(s);
      expect(await store.claimScheduleTick(claimOf(s, BASE))).toBe(true);
    });
  });
}
