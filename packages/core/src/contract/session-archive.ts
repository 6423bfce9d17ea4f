/** SessionArchive contract: open, tenant-scoped reads, first-close-wins, and the sweeper's scans. */
import { describe, expect, it } from 'vitest';
import type { SessionArchive, SessionClose } from '../ports/session-archive.js';
import { makeSessionRecord, newId, newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { portLifecycleContract } from './lifecycle.js';
import { expectDalstonError, hostileObject, useFixture } from './store-helpers.js';
import { sessionArchiveTextContract } from './store-text.js';

const T0 = Date.UTC(2026, 0, 1);

const closing = (overrides: Partial<SessionClose> = {}): SessionClose => ({
  status: 'completed',
  endedAt: T0 + 1000,
  stats: { audioSeconds: 12.5, segments: 3 },
  artifacts: { audio: 'memory://bucket/tenants/t/sessions/s/audio.wav' },
  error: null,
  ...overrides,
});

export function sessionArchiveContract(name: string, unguarded: PortFactory<SessionArchive>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('sessionArchive', unguarded);
  portLifecycleContract(
    name,
    'sessionArchive',
    factory,
    {
      operation: 'open',
      call: (s) => s.open(makeSessionRecord()),
    },
    { operation: 'get', call: (s) => s.get(newTenantId(), 'sess-1') },
  );
  describe(`${name}: SessionArchive`, () => {
    const fx = useFixture(factory);

    it('opens a record and reads it back', async () => {
      const archive = fx().port;
      const record = makeSessionRecord({ workerId: 'worker-1', stats: { opened: true } });
      expect(await archive.open(record)).toEqual(record);
      expect(await archive.get(record.tenantId, record.id)).toEqual(record);
    });

    it("reads unknown records, and another tenant's record, as null", async () => {
      const archive = fx().port;
      const record = makeSessionRecord();
      await archive.open(record);
      expect(await archive.get(newTenantId(), record.id)).toBeNull();
      expect(await archive.get(record.tenantId, newId('sess'))).toBeNull();
    });

    it('rejects a duplicate id with CONFLICT and keeps the first', async () => {
      const archive = fx().port;
      const record = makeSessionRecord();
      await archive.open(record);
      await expectDalstonError(archive.open({ ...record, workerId: 'other' }), 'CONFLICT');
      expect(await archive.get(record.tenantId, record.id)).toEqual(record);
    });

    it('closes an active record with its outcome', async () => {
      const archive = fx().port;
      const record = makeSessionRecord({ startedAt: T0 });
      await archive.open(record);
      const close = closing();
      const expected = { ...record, ...close };
      expect(await archive.closeRecord(record.tenantId, record.id, close)).toEqual(expected);
      expect(await archive.get(record.tenantId, record.id)).toEqual(expected);
    });

    it('lets the first close win', async () => {
      const archive = fx().port;
      const record = makeSessionRecord();
      await archive.open(record);
      const results = await Promise.all([
        archive.closeRecord(record.tenantId, record.id, closing({ status: 'completed' })),
        archive.closeRecord(record.tenantId, record.id, closing({ status: 'interrupted', error: 'expired' })),
      ]);
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(await archive.get(record.tenantId, record.id)).toEqual(winners[0]);
      expect(await archive.closeRecord(record.tenantId, record.id, closing({ status: 'error' }))).toBeNull();
    });

    it("refuses to close an unknown record or another tenant's record", async () => {
      const archive = fx().port;
      const record = makeSessionRecord();
      await archive.open(record);
      expect(await archive.closeRecord(newTenantId(), record.id, closing())).toBeNull();
      expect(await archive.closeRecord(record.tenantId, newId('sess'), closing())).toBeNull();
      expect(await archive.get(record.tenantId, record.id)).toEqual(record);
    });

    it('lists active records started before a time, oldest first', async () => {
      const archive = fx().port;
      const tenantId = newTenantId();
      const records = [30, 10, 20, 40].map((d) => makeSessionRecord({ tenantId, startedAt: T0 + d }));
      for (const r of records) await archive.open(r);
      await archive.closeRecord(tenantId, records[2]!.id, closing());
      const ids = new Set(records.map((r) => r.id));
      const ours = (list: { id: string }[]) => list.filter((r) => ids.has(r.id));
      expect(ours(await archive.listActive(T0 + 40, 1000))).toEqual([records[1], records[0]]);
      expect(ours(await archive.listActive(T0 + 41, 1000))).toHaveLength(3);
      expect(await archive.listActive(T0 + 41, 1)).toHaveLength(1);
      await expectDalstonError(archive.listActive(T0, 0), 'VALIDATION_FAILED');
    });

    it("lists a tenant's records, active and closed, newest first, paged before a (startedAt, id) cursor", async () => {
      const archive = fx().port;
      const tenantId = newTenantId();
      const records = [30, 10, 20, 10, 40].map((d) => makeSessionRecord({ tenantId, startedAt: T0 + d }));
      for (const r of records) await archive.open(r);
      await archive.open(makeSessionRecord({ startedAt: T0 + 25 })); // another tenant's
      const closed = await archive.closeRecord(tenantId, records[2]!.id, closing());
      const newestFirst = [...records]
        .map((r) => (r.id === closed!.id ? closed! : r))
        .sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      expect(await archive.listByTenant(tenantId, 1000)).toEqual(newestFirst);
      const seen: string[] = [];
      let page = await archive.listByTenant(tenantId, 2);
      while (page.length > 0) {
        expect(page.length).toBeLessThanOrEqual(2);
        seen.push(...page.map((r) => r.id));
        const last = page.at(-1)!;
        page = await archive.listByTenant(tenantId, 2, { startedAt: last.startedAt, id: last.id });
      }
      expect(seen).toEqual(newestFirst.map((r) => r.id));
      expect(await archive.listByTenant(newTenantId(), 10)).toEqual([]);
      await expectDalstonError(archive.listByTenant(tenantId, 0), 'VALIDATION_FAILED');
    });

    it('pages through active records after a (startedAt, id) cursor', async () => {
      const archive = fx().port;
      const tenantId = newTenantId();
      const records = [30, 10, 20, 10, 10].map((d) => makeSessionRecord({ tenantId, startedAt: T0 + d }));
      for (const r of records) await archive.open(r);
      const mine = new Set(records.map((r) => r.id));
      const expected = [...records]
        .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => r.id);
      const walked: string[] = [];
      let after: { startedAt: number; id: string } | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await archive.listActive(T0 + 100, 2, after);
        if (page.length === 0) break;
        walked.push(...page.map((r) => r.id));
        const last = page[page.length - 1]!;
        after = { startedAt: last.startedAt, id: last.id };
      }
      expect(walked.filter((id) => mine.has(id))).toEqual(expected);
    });

    it("lists a tenant's active ids and the tenants with active records", async () => {
      const archive = fx().port;
      const tenantId = newTenantId();
      const done = newTenantId();
      const records = [makeSessionRecord({ tenantId }), makeSessionRecord({ tenantId })];
      const closed = makeSessionRecord({ tenantId: done });
      for (const r of [...records, closed]) await archive.open(r);
      await archive.closeRecord(done, closed.id, closing());
      expect((await archive.activeIds(tenantId)).sort()).toEqual(records.map((r) => r.id).sort());
      expect(await archive.activeIds(done)).toEqual([]);
      const tenants = await archive.tenantsWithActive();
      expect(tenants).toContain(tenantId);
      expect(tenants).not.toContain(done);
      await archive.closeRecord(tenantId, records[0]!.id, closing());
      expect(await archive.activeIds(tenantId)).toEqual([records[1]!.id]);
    });

    it('round-trips hostile stats, artifact names and errors exactly', async () => {
      const archive = fx().port;
      const hostile = hostileObject();
      const record = makeSessionRecord({ stats: hostile, workerId: "w'; --" });
      await archive.open(record);
      expect(await archive.get(record.tenantId, record.id)).toEqual(record);
      const close = closing({
        status: 'error',
        stats: { hostile },
        artifacts: hostile,
        error: "'; DROP TABLE x; -- 🎉",
      });
      expect(await archive.closeRecord(record.tenantId, record.id, close)).toEqual({ ...record, ...close });
      expect(await archive.get(record.tenantId, record.id)).toEqual({ ...record, ...close });
    });

    it('stores copies', async () => {
      const archive = fx().port;
      const record = makeSessionRecord({ stats: { n: 1 } });
      const expected = structuredClone(record);
      const opened = await archive.open(record);
      record.stats.n = 2;
      opened.status = 'error';
      (await archive.get(record.tenantId, record.id))!.artifacts.x = 'y';
      expect(await archive.get(record.tenantId, record.id)).toEqual(expected);
    });
  });
  sessionArchiveTextContract(name, factory);
}
