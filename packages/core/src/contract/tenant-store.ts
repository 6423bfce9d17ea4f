/** TenantStore contract: create, read, limit overrides, disabling, and id-ordered listing. */
import { describe, expect, it } from 'vitest';
import type { TenantStore } from '../ports/tenant-store.js';
import { makeTenant, newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { portLifecycleContract } from './lifecycle.js';
import { expectDalstonError, HOSTILE_STRINGS, useFixture } from './store-helpers.js';
import { tenantStoreTextContract } from './store-text.js';

export function tenantStoreContract(name: string, unguarded: PortFactory<TenantStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('tenantStore', unguarded);
  portLifecycleContract(
    name,
    'tenantStore',
    factory,
    {
      operation: 'create',
      call: (s) => s.create(makeTenant()),
    },
    { operation: 'get', call: (s) => s.get(newTenantId()) },
  );
  describe(`${name}: TenantStore`, () => {
    const fx = useFixture(factory);

    it('creates a tenant and reads it back', async () => {
      const store = fx().port;
      const tenant = makeTenant({
        limits: { concurrentJobs: 3, requests: { algorithm: 'fixed', limit: 10, windowMs: 1000 } },
      });
      expect(await store.create(tenant)).toEqual(tenant);
      expect(await store.get(tenant.id)).toEqual(tenant);
    });

    it('reads an unknown tenant as null', async () => {
      const store = fx().port;
      expect(await store.get(newTenantId())).toBeNull();
      expect(await store.get("'; DROP TABLE tenants; --")).toBeNull();
    });

    it('rejects a duplicate id with CONFLICT and keeps the first', async () => {
      const store = fx().port;
      const tenant = makeTenant();
      await store.create(tenant);
      await expectDalstonError(store.create({ ...tenant, name: 'impostor' }), 'CONFLICT');
      expect(await store.get(tenant.id)).toEqual(tenant);
    });

    it('replaces limit overrides wholesale', async () => {
      const store = fx().port;
      const tenant = makeTenant({ limits: { concurrentJobs: 5, concurrentSessions: 2 } });
      await store.create(tenant);
      const limits = {
        requestsPerKey: { algorithm: 'gcra' as const, limit: 100, windowMs: 60_000, burst: 20 },
      };
      const updated = await store.updateLimits(tenant.id, limits);
      expect(updated).toEqual({ ...tenant, limits });
      expect(await store.get(tenant.id)).toEqual({ ...tenant, limits });
      expect(await store.updateLimits(tenant.id, {})).toEqual({ ...tenant, limits: {} });
    });

    it('returns null when updating limits of an unknown tenant', async () => {
      const store = fx().port;
      expect(await store.updateLimits(newTenantId(), { concurrentJobs: 1 })).toBeNull();
    });

    it('disables and enables a tenant idempotently', async () => {
      const store = fx().port;
      const tenant = makeTenant();
      await store.create(tenant);
      expect(await store.setDisabled(tenant.id, true)).toEqual({ ...tenant, disabled: true });
      expect(await store.setDisabled(tenant.id, true)).toEqual({ ...tenant, disabled: true });
      expect((await store.get(tenant.id))?.disabled).toBe(true);
      expect(await store.setDisabled(tenant.id, false)).toEqual(tenant);
      expect(await store.setDisabled(newTenantId(), true)).toBeNull();
    });

    it('lists tenants by id, paging after an id', async () => {
      const store = fx().port;
      const prefix = newTenantId();
      const tenants = ['c', 'a', 'e', 'b', 'd'].map((s) => makeTenant({ id: `${prefix}-${s}` }));
      for (const t of tenants) await store.create(t);
      const sorted = [...tenants].sort((a, b) => (a.id < b.id ? -1 : 1));
      const ours = (list: { id: string }[]) => list.filter((t) => t.id.startsWith(prefix));
      expect(ours(await store.list(1000, prefix))).toEqual(sorted);
      const walked = [];
      let after = prefix;
      for (;;) {
        const page = ours(await store.list(2, after));
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(2);
        walked.push(...page);
        after = page[page.length - 1]!.id;
      }
      expect(walked).toEqual(sorted);
      expect(ours(await store.list(1000, sorted[4]!.id))).toEqual([]);
    });

    it('rejects a list limit outside 1..1000 with VALIDATION_FAILED', async () => {
      const store = fx().port;
      await expectDalstonError(store.list(0), 'VALIDATION_FAILED');
      await expectDalstonError(store.list(1001), 'VALIDATION_FAILED');
    });

    it('round-trips hostile names and ids exactly', async () => {
      const store = fx().port;
      for (const name of HOSTILE_STRINGS) {
        const tenant = makeTenant({ name });
        await store.create(tenant);
        expect(await store.get(tenant.id)).toEqual(tenant);
      }
      const odd = makeTenant({ id: `'; DROP TABLE tenants; -- 🎉 ${newTenantId()}` });
      await store.create(odd);
      expect(await store.get(odd.id)).toEqual(odd);
    });

    it('stores copies', async () => {
      const store = fx().port;
      const tenant = makeTenant({ limits: { concurrentJobs: 1 } });
      const expected = structuredClone(tenant);
      const created = await store.create(tenant);
      tenant.limits.concurrentJobs = 99;
      created.name = 'changed';
      (await store.get(tenant.id))!.disabled = true;
      expect(await store.get(tenant.id)).toEqual(expected);
    });
  });
  tenantStoreTextContract(name, factory);
}
