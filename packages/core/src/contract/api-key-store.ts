/** ApiKeyStore contract: unique ids and prefixes, tenant scoping, revocation, throttled lastUsedAt. */
import { describe, expect, it } from 'vitest';
import type { ApiKeyStore } from '../ports/api-key-store.js';
import { makeApiKey, newId, newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { portLifecycleContract } from './lifecycle.js';
import { expectDalstonError, HOSTILE_STRINGS, useFixture } from './store-helpers.js';
import { apiKeyStoreTextContract } from './store-text.js';

const T0 = Date.UTC(2026, 0, 1);

export function apiKeyStoreContract(name: string, unguarded: PortFactory<ApiKeyStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('apiKeyStore', unguarded);
  portLifecycleContract(
    name,
    'apiKeyStore',
    factory,
    {
      operation: 'create',
      call: (s) => s.create(makeApiKey()),
    },
    { operation: 'get', call: (s) => s.get(newTenantId(), 'key-1') },
  );
  describe(`${name}: ApiKeyStore`, () => {
    const fx = useFixture(factory);

    it('creates a key and finds it by tenant and id, and by prefix', async () => {
      const store = fx().port;
      const key = makeApiKey({ scopes: ['admin', 'sessions:read'], expiresAt: T0 + 1000 });
      expect(await store.create(key)).toEqual(key);
      expect(await store.get(key.tenantId, key.id)).toEqual(key);
      expect(await store.findByPrefix(key.prefix)).toEqual(key);
    });

    it("reads unknown keys, and another tenant's key, as null", async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      expect(await store.get(newTenantId(), key.id)).toBeNull();
      expect(await store.get(key.tenantId, newId('key'))).toBeNull();
      expect(await store.findByPrefix('ffffffffffffffffff-unknown')).toBeNull();
      expect(await store.findByPrefix("'; DROP TABLE api_keys; --")).toBeNull();
    });

    it('rejects a duplicate id or a duplicate prefix with CONFLICT', async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      await expectDalstonError(store.create({ ...makeApiKey(), id: key.id }), 'CONFLICT');
      const samePrefix = makeApiKey({ prefix: key.prefix });
      await expectDalstonError(store.create(samePrefix), 'CONFLICT');
      expect(await store.get(samePrefix.tenantId, samePrefix.id)).toBeNull();
      expect(await store.findByPrefix(key.prefix)).toEqual(key);
    });

    it("lists a tenant's keys newest first, and only theirs", async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const keys = [T0 + 10, T0 + 30, T0 + 20].map((createdAt) => makeApiKey({ tenantId, createdAt }));
      for (const k of keys) await store.create(k);
      await store.create(makeApiKey({ createdAt: T0 + 40 }));
      expect(await store.list(tenantId)).toEqual([keys[1], keys[2], keys[0]]);
      expect(await store.list(newTenantId())).toEqual([]);
    });

    it('revokes once: the first revokedAt stays', async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      expect(await store.revoke(key.tenantId, key.id, T0)).toEqual({ ...key, revokedAt: T0 });
      expect(await store.revoke(key.tenantId, key.id, T0 + 500)).toEqual({ ...key, revokedAt: T0 });
      expect(await store.findByPrefix(key.prefix)).toEqual({ ...key, revokedAt: T0 });
    });

    it("refuses to revoke an unknown key or another tenant's key", async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      expect(await store.revoke(newTenantId(), key.id, T0)).toBeNull();
      expect(await store.revoke(key.tenantId, newId('key'), T0)).toBeNull();
      expect(await store.get(key.tenantId, key.id)).toEqual(key);
    });

    it('throttles lastUsedAt writes to one per interval, never moving backwards', async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      expect(await store.touchLastUsed(key.id, T0, 60_000)).toBe(true);
      expect((await store.get(key.tenantId, key.id))?.lastUsedAt).toBe(T0);
      expect(await store.touchLastUsed(key.id, T0 + 30_000, 60_000)).toBe(false);
      expect(await store.touchLastUsed(key.id, T0 - 5, 60_000)).toBe(false);
      expect((await store.get(key.tenantId, key.id))?.lastUsedAt).toBe(T0);
      expect(await store.touchLastUsed(key.id, T0 + 60_001, 60_000)).toBe(true);
      expect((await store.get(key.tenantId, key.id))?.lastUsedAt).toBe(T0 + 60_001);
      expect(await store.touchLastUsed(newId('key'), T0, 0)).toBe(false);
    });

    it('writes lastUsedAt once when touched concurrently', async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.touchLastUsed(key.id, T0, 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('round-trips hostile names exactly', async () => {
      const store = fx().port;
      for (const name of HOSTILE_STRINGS) {
        const key = makeApiKey({ name });
        await store.create(key);
        expect(await store.get(key.tenantId, key.id)).toEqual(key);
      }
    });

    it('stores copies', async () => {
      const store = fx().port;
      const key = makeApiKey();
      const expected = structuredClone(key);
      const created = await store.create(key);
      key.scopes.push('admin');
      created.revokedAt = 1;
      (await store.findByPrefix(key.prefix))!.scopes.length = 0;
      expect(await store.get(key.tenantId, key.id)).toEqual(expected);
    });
  });
  apiKeyStoreTextContract(name, factory);
}
