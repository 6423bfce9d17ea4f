/**
 * SessionStore contract: create/get, field patches with version checks, TTL (touch,
 * patch renewal, expiry: gone entirely), delete, list by tenant with paging.
 */
import { describe, expect, it } from 'vitest';
import type { LiveSession } from '../domain/session.js';
import type { SessionStore } from '../ports/session-store.js';
import { newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { portLifecycleContract } from './lifecycle.js';

/** A session of `tenantId` created now (by the fixture's clock). */
export function liveSession(
  tenantId: string,
  now: number,
  overrides: Partial<LiveSession> = {},
): LiveSession {
  return {
    id: randomName('sess'),
    tenantId,
    status: 'active',
    workerId: null,
    fields: { language: 'en', seconds: 0 },
    version: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: now,
    ...overrides,
  };
}

const TTL = 300;
const LONG_TTL = 1000;

export function sessionStoreContract(name: string, unguarded: PortFactory<SessionStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('sessionStore', unguarded);
  portLifecycleContract(
    name,
    'sessionStore',
    factory,
    {
      operation: 'create',
      call: (s) => s.create(liveSession(newTenantId(), Date.now()), 1000),
    },
    { operation: 'get', call: (s) => s.get(newTenantId(), 'sess-1') },
  );
  const test = (title: string, body: Parameters<typeof withFixture<SessionStore>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: SessionStore`, () => {
    test('create stores version 1 expiring ttl after createdAt; a second create of the id is refused', async ({
      port,
      time,
    }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      expect(await port.create(s, 60_000)).toBe(true);
      expect(await port.get(tenant, s.id)).toEqual({
        ...s,
        version: 1,
        expiresAt: s.createdAt + 60_000,
        ttlMs: 60_000,
      });
      expect(await port.create({ ...s, fields: {} }, 60_000)).toBe(false);
      expect((await port.get(tenant, s.id))?.fields).toEqual(s.fields);
    });

    test('get is scoped by tenant and null for unknown ids', async ({ port, time }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      expect(await port.get(randomName('other'), s.id)).toBeNull();
      expect(await port.get(tenant, randomName('missing'))).toBeNull();
      const patched = await port.patch(randomName('other'), s.id, { status: 'error' }, { at: time.now() });
      expect(patched).toEqual({ ok: false, reason: 'not_found' });
      expect(await port.delete(randomName('other'), s.id)).toBe(false);
      expect(await port.get(tenant, s.id)).not.toBeNull();
    });

    test('patch sets status, worker and fields (null kept as null), raising the version', async ({
      port,
      time,
    }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      const at = time.now() + 5;
      const result = await port.patch(
        tenant,
        s.id,
        {
          status: 'completed',
          workerId: 'w-1',
          fields: { seconds: 12, language: null, extra: { a: [1, 2] } },
        },
        { at },
      );
      expect(result.ok).toBe(true);
      const expected = {
        ...s,
        status: 'completed',
        workerId: 'w-1',
        fields: { seconds: 12, language: null, extra: { a: [1, 2] } },
        version: 2,
        updatedAt: at,
        expiresAt: s.createdAt + 60_000,
        ttlMs: 60_000,
      };
      expect(result.ok && result.session).toEqual(expected);
      expect(await port.get(tenant, s.id)).toEqual(expected);
      const fieldsOnly = await port.patch(tenant, s.id, { fields: { seconds: 13 } }, { at });
      expect(fieldsOnly.ok && fieldsOnly.session).toMatchObject({
        status: 'completed',
        workerId: 'w-1',
        version: 3,
        fields: { seconds: 13, language: null, extra: { a: [1, 2] } },
      });
    });

    test('a patch with a stale expected version changes nothing and reports the current one', async ({
      port,
      time,
    }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      expect(
        (await port.patch(tenant, s.id, { fields: { n: 1 } }, { at: time.now(), expectedVersion: 1 })).ok,
      ).toBe(true);
      const stale = await port.patch(
        tenant,
        s.id,
        { fields: { n: 99 } },
        { at: time.now(), expectedVersion: 1 },
      );
      expect(stale).toEqual({ ok: false, reason: 'version_mismatch', currentVersion: 2 });
      expect(await port.get(tenant, s.id)).toMatchObject({ version: 2, fields: { n: 1 } });
    });

    test('concurrent patches expecting the same version: exactly one wins', async ({ port, time }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          port.patch(tenant, s.id, { fields: { writer: i } }, { at: time.now(), expectedVersion: 1 }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok && r.reason === 'version_mismatch')).toHaveLength(19);
      expect((await port.get(tenant, s.id))?.version).toBe(2);
    });

    test('an expired session is gone entirely', async ({ port, time }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, TTL);
      await port.create(liveSession(tenant, time.now()), 60_000);
      await time.advance(TTL + 100);
      expect(await port.get(tenant, s.id)).toBeNull();
      expect((await port.list(tenant, 100)).sessions.map((x) => x.id)).not.toContain(s.id);
      expect((await port.list(tenant, 100)).sessions).toHaveLength(1);
      expect(await port.patch(tenant, s.id, { status: 'error' }, { at: time.now() })).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await port.touch(tenant, s.id, 60_000)).toBe(false);
      expect(await port.delete(tenant, s.id)).toBe(false);
      expect(await port.create(liveSession(tenant, time.now(), { id: s.id }), 60_000)).toBe(true);
      expect(await port.get(tenant, s.id)).toMatchObject({ version: 1 });
    });

    test('touch and a patch with ttlMs keep the session alive', async ({ port, time }) => {
      // Wider margins than TTL: on real time a loaded machine must not turn 200 ms into 300.
      const tenant = randomName('t');
      const touched = liveSession(tenant, time.now());
      const patched = liveSession(tenant, time.now());
      await port.create(touched, LONG_TTL);
      await port.create(patched, LONG_TTL);
      await time.advance(600);
      expect(await port.touch(tenant, touched.id, LONG_TTL)).toBe(true);
      const r = await port.patch(
        tenant,
        patched.id,
        { fields: { k: 1 } },
        { at: time.now(), ttlMs: LONG_TTL },
      );
      expect(r.ok && r.session.expiresAt).toBeGreaterThan(patched.createdAt + LONG_TTL);
      await time.advance(600); // past the first expiry, within the renewed one
      expect(await port.get(tenant, touched.id)).not.toBeNull();
      expect(await port.get(tenant, patched.id)).not.toBeNull();
      await time.advance(LONG_TTL + 100);
      expect(await port.get(tenant, touched.id)).toBeNull();
      expect(await port.get(tenant, patched.id)).toBeNull();
    });

    test('the TTL given at create is recorded on the session; touch and patch with another keep it', async ({
      port,
      time,
    }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      expect(await port.touch(tenant, s.id, 90_000)).toBe(true);
      const r = await port.patch(tenant, s.id, { fields: { k: 1 } }, { at: time.now(), ttlMs: 120_000 });
      expect(r.ok && r.session.ttlMs).toBe(60_000);
      expect((await port.get(tenant, s.id))?.ttlMs).toBe(60_000);
      expect((await port.list(tenant, 10)).sessions.map((x) => x.ttlMs)).toEqual([60_000]);
    });

    test('delete is idempotent', async ({ port, time }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      expect(await port.delete(tenant, s.id)).toBe(true);
      expect(await port.delete(tenant, s.id)).toBe(false);
      expect(await port.get(tenant, s.id)).toBeNull();
    });

    test('list pages the tenant’s sessions by id with a cursor', async ({ port, time }) => {
      const tenant = randomName('t');
      const mine = Array.from({ length: 7 }, () => liveSession(tenant, time.now()));
      for (const s of mine) await port.create(s, 60_000);
      await port.create(liveSession(randomName('other'), time.now()), 60_000);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await port.list(tenant, 3, cursor);
        expect(page.sessions.length).toBeLessThanOrEqual(3);
        seen.push(...page.sessions.map((s) => s.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual(mine.map((s) => s.id).sort());
      expect(pages).toBe(3);
      expect(await port.list(randomName('empty'), 10)).toEqual({ sessions: [], nextCursor: null });
    });

    test('list and patch reject a bad limit or time with VALIDATION_FAILED', async ({ port, time }) => {
      const tenant = randomName('t');
      await expect(port.list(tenant, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(port.list(tenant, 1001)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const s = liveSession(tenant, time.now());
      await expect(port.create(s, 0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    test('returned sessions are copies', async ({ port, time }) => {
      const tenant = randomName('t');
      const s = liveSession(tenant, time.now());
      await port.create(s, 60_000);
      s.fields.language = 'mutated';
      const got = (await port.get(tenant, s.id))!;
      expect(got.fields.language).toBe('en');
      got.fields.language = 'mutated again';
      expect((await port.get(tenant, s.id))!.fields.language).toBe('en');
    });
  });
}
