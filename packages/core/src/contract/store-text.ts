/**
 * Text no store can keep, across the PostgreSQL-backed ports: NUL (PostgreSQL text and
 * jsonb refuse it) and lone UTF-16 surrogates (UTF-8 cannot encode them). Both adapter sets
 * answer alike: an id or key holding such a string names nothing that can exist, so reads
 * are misses (null, empty); a record holding one is refused with VALIDATION_FAILED and
 * nothing is written. (Core refuses such input before it reaches a store; this is the
 * stores' own contract for direct callers.)
 */
import { describe, expect, it } from 'vitest';
import type { ApiKeyStore } from '../ports/api-key-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { SessionArchive } from '../ports/session-archive.js';
import type { TenantStore } from '../ports/tenant-store.js';
import { makeApiKey, makeJob, makeSessionRecord, makeTask, makeTenant, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

/** Strings that cannot be stored as they are. */
export const UNSTORABLE_STRINGS: readonly string[] = ['a\u0000b', '\u0000', 'a\uD800b', '\uDC00', 'x\uDBFF'];

export function jobStoreTextContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore, unstorable text`, () => {
    const fx = useFixture(factory);

    it('reads ids and keys holding NUL or lone surrogates as misses', async () => {
      const store = fx().port;
      const job = makeJob();
      await store.createJob({ job, tasks: [], events: [] });
      for (const s of UNSTORABLE_STRINGS) {
        expect(await store.getJob(job.tenantId, s)).toBeNull();
        expect(await store.getJob(s, job.id)).toBeNull();
        expect(await store.getJobByIdempotencyKey(job.tenantId, s)).toBeNull();
        expect(await store.getSnapshot(job.tenantId, s)).toBeNull();
        expect(await store.getSnapshot(s, job.id)).toBeNull();
        expect(await store.listJobs({ tenantId: s, limit: 10 })).toEqual({ jobs: [], nextCursor: null });
        expect(await store.readEvents({ tenantId: s, limit: 10 })).toEqual([]);
        expect(await store.readEvents({ tenantId: job.tenantId, jobId: s, limit: 10 })).toEqual([]);
      }
    });

    it('refuses a job holding NUL or lone surrogates with VALIDATION_FAILED, writing nothing', async () => {
      const store = fx().port;
      for (const s of UNSTORABLE_STRINGS) {
        const tenantId = newTenantId();
        const variants = [
          makeJob({ tenantId, parameters: { text: s } }),
          makeJob({ tenantId, parameters: { [s]: 1 } }),
          makeJob({ tenantId, idempotencyKey: `k${s}` }),
          makeJob({ tenantId, correlationId: s }),
        ];
        for (const job of variants) {
          await expectDalstonError(store.createJob({ job, tasks: [], events: [] }), 'VALIDATION_FAILED');
        }
        const job = makeJob({ tenantId });
        const task = makeTask(job, { input: { text: s } });
        await expectDalstonError(store.createJob({ job, tasks: [task], events: [] }), 'VALIDATION_FAILED');
        expect(await store.listJobs({ tenantId, limit: 10 })).toEqual({ jobs: [], nextCursor: null });
      }
    });
  });
}

export function tenantStoreTextContract(name: string, factory: PortFactory<TenantStore>): void {
  describe(`${name}: TenantStore, unstorable text`, () => {
    const fx = useFixture(factory);

    it('reads such ids as null and refuses such names with VALIDATION_FAILED', async () => {
      const store = fx().port;
      const tenant = makeTenant();
      await store.create(tenant);
      for (const s of UNSTORABLE_STRINGS) {
        expect(await store.get(s)).toBeNull();
        expect(await store.updateLimits(s, {})).toBeNull();
        expect(await store.setDisabled(s, true)).toBeNull();
        const bad = makeTenant({ name: s });
        await expectDalstonError(store.create(bad), 'VALIDATION_FAILED');
        expect(await store.get(bad.id)).toBeNull();
      }
      expect(await store.get(tenant.id)).toEqual(tenant);
    });
  });
}

export function apiKeyStoreTextContract(name: string, factory: PortFactory<ApiKeyStore>): void {
  describe(`${name}: ApiKeyStore, unstorable text`, () => {
    const fx = useFixture(factory);

    it('reads such ids and prefixes as misses and refuses such names with VALIDATION_FAILED', async () => {
      const store = fx().port;
      const key = makeApiKey();
      await store.create(key);
      for (const s of UNSTORABLE_STRINGS) {
        expect(await store.findByPrefix(s)).toBeNull();
        expect(await store.get(key.tenantId, s)).toBeNull();
        expect(await store.get(s, key.id)).toBeNull();
        expect(await store.list(s)).toEqual([]);
        expect(await store.revoke(key.tenantId, s, key.createdAt + 1)).toBeNull();
        const bad = makeApiKey({ name: s });
        await expectDalstonError(store.create(bad), 'VALIDATION_FAILED');
        expect(await store.get(bad.tenantId, bad.id)).toBeNull();
      }
      expect(await store.get(key.tenantId, key.id)).toEqual(key);
    });
  });
}

export function sessionArchiveTextContract(name: string, factory: PortFactory<SessionArchive>): void {
  describe(`${name}: SessionArchive, unstorable text`, () => {
    const fx = useFixture(factory);

    it('reads such ids as null and refuses such records and closes with VALIDATION_FAILED', async () => {
      const archive = fx().port;
      const record = makeSessionRecord();
      await archive.open(record);
      for (const s of UNSTORABLE_STRINGS) {
        expect(await archive.get(record.tenantId, s)).toBeNull();
        expect(await archive.get(s, record.id)).toBeNull();
        const bad = makeSessionRecord({ stats: { note: s } });
        await expectDalstonError(archive.open(bad), 'VALIDATION_FAILED');
        expect(await archive.get(bad.tenantId, bad.id)).toBeNull();
        const close = {
          status: 'error' as const,
          endedAt: record.startedAt + 1,
          stats: {},
          artifacts: {},
          error: s,
        };
        await expectDalstonError(archive.closeRecord(record.tenantId, record.id, close), 'VALIDATION_FAILED');
      }
      expect(await archive.get(record.tenantId, record.id)).toEqual(record);
    });
  });
}
