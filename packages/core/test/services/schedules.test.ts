/**
 * Schedules on the memory set with a manual clock: validation, tick boundaries, time zones
 * across DST, pause/resume, overlap, the missed-tick policy, and the firing loop started
 * by maintenance. Each firing is `schedules.fireDue()` at a chosen instant, so every
 * outcome is exact.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Pipeline } from '../../src/services/jobs/pipeline.js';
import { harness } from './harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 1); // the ManualClock's start

async function setup(pipeline?: Pipeline) {
  const h = await harness(pipeline ? { pipeline } : {});
  const fire = async () => (await h.dalston.schedules.fireDue())._unsafeUnwrap();
  const ticks = async (id: string) => (await h.dalston.schedules.ticks(id))._unsafeUnwrap();
  const jobs = async () =>
    (await h.dalston.jobs.list({ tenantId: h.tenantId, limit: 1000 }))._unsafeUnwrap().jobs;
  const at = async (instant: number) => h.advance(instant - h.clock.now());
  return { ...h, fire, ticks, jobs, at };
}

describe('schedules: validation', () => {
  it('names cron, timezone and other bad fields, and checks tenant and parameters', async () => {
    const h = await setup({
      parameters: z.object({ lang: z.enum(['en', 'de']) }),
      build: () => [{ stage: 'a', queue: 'q' }],
    });
    const base = { id: 'nightly', tenantId: h.tenantId, cron: '0 3 * * *', parameters: { lang: 'en' } };
    const field = async (input: unknown) => {
      const r = await h.dalston.schedules.upsert(input as never);
      const e = r._unsafeUnwrapErr();
      return e.code === 'VALIDATION_FAILED' ? e.field : e.code;
    };
    expect(await field({ ...base, cron: 'every day' })).toBe('cron');
    expect(await field({ ...base, cron: '61 * * * *' })).toBe('cron');
    expect(await field({ ...base, cron: '0 0 30 2 *' })).toBe('cron'); // never fires
    expect(await field({ ...base, timezone: 'Mars/Olympus' })).toBe('timezone');
    expect(await field({ ...base, overlap: 'queue' })).toBe('overlap');
    expect(await field({ ...base, catchUp: 'all' })).toBe('catchUp');
    expect(await field({ ...base, id: '' })).toBe('id');
    expect(await field({ ...base, extra: 1 })).toBe('input');
    expect(await field({ ...base, parameters: { lang: 'xx' } })).toBe('parameters.lang');
    expect(await field({ ...base, tenantId: 'nobody' })).toBe('NOT_FOUND');
    expect((await h.dalston.schedules.list())._unsafeUnwrap().items).toEqual([]);
    expect((await h.dalston.schedules.get('nightly'))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect((await h.dalston.schedules.remove('nightly'))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect((await h.dalston.schedules.pause('\u0000'))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
  });
});

describe('schedules: firing', () => {
  it('fires exactly at each tick boundary, once per tick, with the tick as idempotency key', async () => {
    const h = await setup();
    const s = (
      await h.dalston.schedules.upsert({
        id: 'minutely',
        tenantId: h.tenantId,
        cron: '* * * * *',
        overlap: 'allow',
      })
    )._unsafeUnwrap();
    expect(s).toMatchObject({
      timezone: 'UTC',
      overlap: 'allow',
      catchUp: 'latest',
      paused: false,
      nextTick: T0 + MIN,
    });
    await h.at(T0 + MIN - 1);
    expect(await h.fire()).toEqual({ submitted: 0, skipped: 0, failed: 0, pending: 0 });
    await h.at(T0 + MIN);
    expect((await h.fire())?.submitted).toBe(1);
    expect((await h.fire())?.submitted).toBe(0);
    await h.at(T0 + 3 * MIN); // two ticks due, both within the 60 s misfire grace: both run, in order
    expect((await h.fire())?.submitted).toBe(2);
    const ticks = await h.ticks('minutely');
    expect(ticks.map((t) => [t.tick - T0, t.outcome])).toEqual([
      [3 * MIN, 'submitted'],
      [2 * MIN, 'submitted'],
      [1 * MIN, 'submitted'],
    ]);
    const jobs = await h.jobs();
    expect(jobs).toHaveLength(3);
    expect(jobs.map((j) => j.idempotencyKey).sort()).toEqual(
      [1, 2, 3].map((i) => `schedule:minutely:${T0 + i * MIN}`).sort(),
    );
    expect(new Set(ticks.map((t) => t.jobId))).toEqual(new Set(jobs.map((j) => j.id)));
    expect((await h.dalston.schedules.get('minutely'))._unsafeUnwrap()).toMatchObject({
      nextTick: T0 + 4 * MIN,
      lastTick: T0 + 3 * MIN,
      lastJobId: ticks[0]!.jobId,
    });
  });

  it('reads the cron in its time zone across both DST changes', async () => {
    const h = await setup();
    await h.at(Date.UTC(2026, 2, 27, 12));
    const upsert = (id: string, cron: string) =>
      h.dalston.schedules.upsert({
        id,
        tenantId: h.tenantId,
        cron,
        timezone: 'Europe/Berlin',
        overlap: 'allow',
      });
    (await upsert('nine', '0 9 * * *'))._unsafeUnwrap();
    (await upsert('gap', '30 2 * * *'))._unsafeUnwrap();
    for (let i = 0; i < 4; i++) {
      await h.at(h.clock.now() + 24 * HOUR);
      await h.fire();
    }
    const iso = async (id: string) =>
      (await h.ticks(id)).map((t) => new Date(t.tick).toISOString()).reverse();
    // 09:00 CET is 08:00Z; from Sunday 29 March (CEST) it is 07:00Z.
    expect(await iso('nine')).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
    ]);
    // 02:30 does not exist on 29 March: it fires at 03:00 CEST.
    expect(await iso('gap')).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    await h.at(Date.UTC(2026, 9, 24, 12));
    (await h.dalston.schedules.pause('gap'))._unsafeUnwrap();
    (await h.dalston.schedules.resume('gap'))._unsafeUnwrap();
    for (let i = 0; i < 3; i++) {
      await h.at(h.clock.now() + 24 * HOUR);
      await h.fire();
    }
    // 02:30 exists twice on 25 October (CEST, then CET): it fires once, at the first.
    expect((await iso('gap')).slice(-3)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('fires nothing while paused; resume starts from the first tick after now', async () => {
    const h = await setup();
    (
      await h.dalston.schedules.upsert({ id: 'p', tenantId: h.tenantId, cron: '*/10 * * * *' })
    )._unsafeUnwrap();
    const paused = (await h.dalston.schedules.pause('p'))._unsafeUnwrap();
    expect(paused.paused).toBe(true);
    expect((await h.dalston.schedules.pause('p'))._unsafeUnwrap()).toEqual(paused); // idempotent
    await h.at(T0 + 35 * MIN);
    expect((await h.fire())?.submitted).toBe(0);
    const resumed = (await h.dalston.schedules.resume('p'))._unsafeUnwrap();
    expect(resumed).toMatchObject({ paused: false, nextTick: T0 + 40 * MIN });
    await h.at(T0 + 40 * MIN);
    expect((await h.fire())?.submitted).toBe(1);
    expect((await h.ticks('p')).map((t) => t.tick)).toEqual([T0 + 40 * MIN]);
  });

  it('overlap skip: a tick is skipped while the previous job is not terminal; allow submits anyway', async () => {
    const h = await setup();
    for (const overlap of ['skip', 'allow'] as const) {
      (
        await h.dalston.schedules.upsert({ id: overlap, tenantId: h.tenantId, cron: '* * * * *', overlap })
      )._unsafeUnwrap();
    }
    await h.at(T0 + MIN);
    expect(await h.fire()).toMatchObject({ submitted: 2, skipped: 0 });
    await h.at(T0 + 2 * MIN); // no worker: the first jobs are still pending
    expect(await h.fire()).toMatchObject({ submitted: 1, skipped: 1 });
    expect((await h.ticks('skip'))[0]).toMatchObject({
      tick: T0 + 2 * MIN,
      outcome: 'skipped',
      reason: 'overlap',
      jobId: null,
    });
    const first = (await h.ticks('skip'))[1]!.jobId!;
    (await h.dalston.jobs.cancel(h.tenantId, first))._unsafeUnwrap();
    await h.at(T0 + 3 * MIN);
    expect(await h.fire()).toMatchObject({ submitted: 2, skipped: 0 });
    expect((await h.ticks('skip')).map((t) => t.outcome)).toEqual(['submitted', 'skipped', 'submitted']);
  });

  it('missed ticks (no engine ran): latest runs the latest once, none records it skipped', async () => {
    const h = await setup();
    for (const catchUp of ['latest', 'none'] as const) {
      const overlap = 'allow' as const;
      (
        await h.dalston.schedules.upsert({
          id: catchUp,
          tenantId: h.tenantId,
          cron: '0 * * * *',
          catchUp,
          overlap,
        })
      )._unsafeUnwrap();
    }
    await h.at(T0 + 5 * HOUR + 30 * MIN); // ticks 01:00 … 05:00 were all missed
    expect(await h.fire()).toMatchObject({ submitted: 1, skipped: 1 });
    expect(await h.ticks('latest')).toMatchObject([{ tick: T0 + 5 * HOUR, outcome: 'submitted' }]);
    expect(await h.ticks('none')).toMatchObject([
      { tick: T0 + 5 * HOUR, outcome: 'skipped', reason: 'missed' },
    ]);
    expect(await h.jobs()).toHaveLength(1);
    for (const id of ['latest', 'none']) {
      expect((await h.dalston.schedules.get(id))._unsafeUnwrap().nextTick).toBe(T0 + 6 * HOUR);
    }
    // A tick that is late but within the grace is not missed: both policies run it.
    await h.at(T0 + 6 * HOUR + 30_000);
    expect(await h.fire()).toMatchObject({ submitted: 2, skipped: 0 });
  });

  it('a refused submit settles the tick failed with the reason; a disabled tenant fails its ticks', async () => {
    const h = await setup();
    (await h.dalston.schedules.upsert({ id: 'f', tenantId: h.tenantId, cron: '* * * * *' }))._unsafeUnwrap();
    (await h.dalston.tenants.disable(h.tenantId))._unsafeUnwrap();
    await h.at(T0 + MIN);
    expect(await h.fire()).toMatchObject({ submitted: 0, failed: 1 });
    expect((await h.ticks('f'))[0]).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/^FORBIDDEN/),
    });
    expect((await h.dalston.schedules.get('f'))._unsafeUnwrap().nextTick).toBe(T0 + 2 * MIN);
  });

  it('maintenance.start fires schedules on the engine clock; upsert keeps the next tick; list and remove', async () => {
    const h = await setup();
    (
      await h.dalston.schedules.upsert({
        id: 'b',
        tenantId: h.tenantId,
        cron: '*/30 * * * * *',
        overlap: 'allow',
      })
    )._unsafeUnwrap();
    (await h.dalston.schedules.upsert({ id: 'a', tenantId: h.tenantId, cron: '0 0 * * *' }))._unsafeUnwrap();
    (await h.dalston.maintenance.start({ intervalMs: 60 * MIN, scheduleIntervalMs: 1000 }))._unsafeUnwrap();
    for (let i = 0; i < 95; i++) await h.advance(1000); // ticks at 30 s, 60 s, 90 s
    expect((await h.ticks('b')).map((t) => (t.tick - T0) / 1000)).toEqual([90, 60, 30]);
    const again = (
      await h.dalston.schedules.upsert({
        id: 'b',
        tenantId: h.tenantId,
        cron: '*/30 * * * * *',
        overlap: 'allow',
        parameters: { v: 2 },
      })
    )._unsafeUnwrap();
    expect(again).toMatchObject({ nextTick: T0 + 120_000, parameters: { v: 2 }, createdAt: T0 });
    const page1 = (await h.dalston.schedules.list({ limit: 1 }))._unsafeUnwrap();
    expect(page1.items.map((s) => s.id)).toEqual(['a']);
    const page2 = (await h.dalston.schedules.list({ limit: 1, cursor: page1.nextCursor }))._unsafeUnwrap();
    expect(page2.items.map((s) => s.id)).toEqual(['b']);
    (await h.dalston.schedules.remove('b'))._unsafeUnwrap();
    for (let i = 0; i < 40; i++) await h.advance(1000);
    expect(await h.jobs()).toHaveLength(3); // removing keeps the jobs; nothing fired after it
    (await h.dalston.maintenance.stop())._unsafeUnwrap();
    await h.dalston.close();
  });
});
