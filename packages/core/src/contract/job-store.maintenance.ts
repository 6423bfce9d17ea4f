/**
 * JobStore contract: the scans the reconciler and the purge pass rely on (ready tasks,
 * expired leases, active tenants, jobs due for purge), purge marking, deletion, the
 * orphan-sweep existence check, and the outbox (unpublished events).
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStore } from '../ports/job-store.js';
import { makeEvent, makeJob, makeSessionEvent, makeTask, newId, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

const T0 = Date.UTC(2026, 0, 1);

async function seed(store: JobStore, job: Partial<Job> = {}, tasks: Partial<Task>[] = []) {
  const j = makeJob(job);
  const ts = tasks.map((t, i) => makeTask(j, { stage: `s${i}`, ...t }));
  await store.createJob({ job: j, tasks: ts, events: [makeEvent(j)] });
  return { job: j, tasks: ts };
}

const mine = <T extends { id: string }>(items: T[], ids: Set<string>) => items.filter((i) => ids.has(i.id));

export function jobStoreMaintenanceContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore reconciler scans`, () => {
    const fx = useFixture(factory);

    it('finds ready tasks of every tenant in id order, paging after a task id', async () => {
      const store = fx().port;
      const a = await seed(store, {}, [{ status: 'ready' }, { status: 'pending' }, { status: 'ready' }]);
      const b = await seed(store, {}, [{ status: 'ready' }, { status: 'running', leaseToken: 't' }]);
      const ready = [a.tasks[0]!, a.tasks[2]!, b.tasks[0]!];
      const ids = new Set(ready.map((t) => t.id));
      const all = mine(await store.findReadyTasks(1000), ids);
      expect(all).toEqual(ready);
      const walked: Task[] = [];
      let after: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await store.findReadyTasks(1, after);
        if (page.length === 0) break;
        expect(page).toHaveLength(1);
        walked.push(...page);
        after = page[0]!.id;
      }
      expect(mine(walked, ids)).toEqual(ready);
    });

    it('finds running tasks whose lease expired strictly before now', async () => {
      const store = fx().port;
      const lease = (leaseExpiresAt: number) => ({
        status: 'running' as const,
        leaseToken: 'tok',
        leaseExpiresAt,
      });
      const { tasks } = await seed(store, {}, [
        lease(T0 - 200),
        lease(T0),
        lease(T0 + 100),
        { status: 'ready', leaseExpiresAt: T0 - 500 },
        { ...lease(T0 - 300), status: 'completed' },
        lease(T0 - 100),
      ]);
      const ids = new Set(tasks.map((t) => t.id));
      const expired = mine(await store.findExpiredLeases(T0, 1000), ids);
      expect(expired.map((t) => t.id).sort()).toEqual([tasks[0]!.id, tasks[5]!.id].sort());
      expect(mine(await store.findExpiredLeases(T0 + 101, 1000), ids)).toHaveLength(4);
      expect(await store.findExpiredLeases(T0, 1)).toHaveLength(1);
    });

    it("lists a tenant's non-terminal job ids and the tenants with active jobs", async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const idle = newTenantId();
      const active = await Promise.all(
        (['pending', 'running', 'cancelling'] as const).map((status) => seed(store, { tenantId, status })),
      );
      for (const status of ['completed', 'failed', 'cancelled'] as const) {
        await seed(store, { tenantId, status });
        await seed(store, { tenantId: idle, status });
      }
      expect((await store.nonTerminalJobIds(tenantId)).sort()).toEqual(active.map((s) => s.job.id).sort());
      expect(await store.nonTerminalJobIds(idle)).toEqual([]);
      const tenants = await store.tenantsWithActiveJobs();
      expect(tenants).toContain(tenantId);
      expect(tenants).not.toContain(idle);
      expect(new Set(tenants).size).toBe(tenants.length);
    });

    it('finds terminal jobs due for purge and not yet purged', async () => {
      const store = fx().port;
      const due = await Promise.all([
        seed(store, { status: 'completed', purgeAfter: T0 - 10 }),
        seed(store, { status: 'failed', purgeAfter: T0 }),
        seed(store, { status: 'cancelled', purgeAfter: T0 - 5 }),
      ]);
      const notDue = await Promise.all([
        seed(store, { status: 'completed', purgeAfter: T0 + 1 }),
        seed(store, { status: 'completed', purgeAfter: null }),
        seed(store, { status: 'running', purgeAfter: T0 - 10 }),
        seed(store, { status: 'completed', purgeAfter: T0 - 10, purgedAt: T0 - 1 }),
      ]);
      const ids = new Set([...due, ...notDue].map((s) => s.job.id));
      const found = mine(await store.findJobsDueForPurge(T0, 1000), ids);
      expect(found.map((j) => j.id).sort()).toEqual(due.map((s) => s.job.id).sort());
      expect(found.find((j) => j.id === due[0]!.job.id)).toEqual(due[0]!.job);
      expect(await store.findJobsDueForPurge(T0, 1)).toHaveLength(1);
    });

    it('marks a terminal job purged once, keeping the row', async () => {
      const store = fx().port;
      const { job } = await seed(store, { status: 'completed', purgeAfter: T0 - 1 });
      expect(await store.markPurged(job.id, T0)).toBe(true);
      expect(await store.markPurged(job.id, T0 + 50)).toBe(false);
      const read = await store.getJob(job.tenantId, job.id);
      expect(read).toMatchObject({ id: job.id, status: 'completed', purgedAt: T0 });
      expect(mine(await store.findJobsDueForPurge(T0 + 100, 1000), new Set([job.id]))).toEqual([]);
    });

    it('refuses to mark a non-terminal or unknown job purged', async () => {
      const store = fx().port;
      const { job } = await seed(store, { status: 'running' });
      expect(await store.markPurged(job.id, T0)).toBe(false);
      expect(await store.markPurged(newId('job'), T0)).toBe(false);
      expect((await store.getJob(job.tenantId, job.id))?.purgedAt).toBeNull();
    });

    it('tells which job ids exist, across tenants', async () => {
      const store = fx().port;
      const a = await seed(store);
      const b = await seed(store);
      const ghost = newId('job');
      expect(await store.existingJobIds([a.job.id, ghost, b.job.id])).toEqual(new Set([a.job.id, b.job.id]));
      expect(await store.existingJobIds([])).toEqual(new Set());
      expect(await store.existingJobIds(["'; DROP TABLE jobs; --"])).toEqual(new Set());
    });
  });

  describe(`${name}: JobStore deleteJob`, () => {
    const fx = useFixture(factory);

    it('deletes a terminal job with its tasks and events', async () => {
      const store = fx().port;
      const { job } = await seed(store, { status: 'completed', idempotencyKey: 'k' }, [
        { status: 'completed' },
      ]);
      const other = await seed(store, { tenantId: job.tenantId }, [{ status: 'ready' }]);
      expect(await store.deleteJob(job.tenantId, job.id)).toBe(true);
      expect(await store.getJob(job.tenantId, job.id)).toBeNull();
      expect(await store.getSnapshot(null, job.id)).toBeNull();
      expect(await store.existingJobIds([job.id])).toEqual(new Set());
      const events = await store.readEvents({ tenantId: job.tenantId, limit: 100 });
      expect(events.map((e) => e.jobId)).toEqual([other.job.id]);
      expect(await store.deleteJob(job.tenantId, job.id)).toBe(false);
      const reused = await store.createJob({
        job: makeJob({ tenantId: job.tenantId, idempotencyKey: 'k' }),
        tasks: [],
        events: [],
      });
      expect(reused.created).toBe(true);
    });

    it('rejects deleting a non-terminal job with INVALID_TRANSITION and keeps it', async () => {
      const store = fx().port;
      for (const status of ['pending', 'running', 'cancelling'] as const) {
        const { job, tasks } = await seed(store, { status }, [{}]);
        await expectDalstonError(store.deleteJob(job.tenantId, job.id), 'INVALID_TRANSITION');
        expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
      }
    });

    it("returns false for an unknown job or another tenant's job, and keeps the latter", async () => {
      const store = fx().port;
      const { job } = await seed(store, { status: 'failed' });
      expect(await store.deleteJob(newTenantId(), job.id)).toBe(false);
      expect(await store.deleteJob(job.tenantId, newId('job'))).toBe(false);
      expect(await store.getJob(job.tenantId, job.id)).toEqual(job);
    });
  });

  describe(`${name}: JobStore outbox`, () => {
    const fx = useFixture(factory);

    it('lists unpublished events at or before a time, oldest first, until marked published', async () => {
      const store = fx().port;
      const job = makeJob({ createdAt: T0 });
      const events = [0, 10, 20].map((d) => makeEvent(job, { at: T0 + d, payload: { d } }));
      const created = await store.createJob({ job, tasks: [], events });
      if (!created.created) throw new Error('expected created');
      const session = await store.appendEvents([makeSessionEvent(job.tenantId, { at: T0 + 5 })]);
      const ids = new Set([...created.events, ...session].map((e) => String(e.id)));
      const pending = async (before: number) =>
        (await store.unpublishedEvents(before, 1000)).filter((e) => ids.has(String(e.id)));
      const expected = [...created.events.slice(0, 2), ...session].sort((a, b) => a.id - b.id);
      expect(await pending(T0 + 10)).toEqual(expected);
      expect(await pending(T0 + 20)).toHaveLength(4);
      await store.markPublished([created.events[0]!.id, session[0]!.id]);
      expect((await pending(T0 + 20)).map((e) => e.id)).toEqual([
        created.events[1]!.id,
        created.events[2]!.id,
      ]);
    });

    it('marks published idempotently and ignores unknown ids', async () => {
      const store = fx().port;
      const job = makeJob({ createdAt: T0 });
      const created = await store.createJob({ job, tasks: [], events: [makeEvent(job)] });
      const id = created.created ? created.events[0]!.id : -1;
      await store.markPublished([id]);
      await store.markPublished([id, id]);
      await store.markPublished([]);
      await store.markPublished([Number.MAX_SAFE_INTEGER]);
      expect((await store.unpublishedEvents(T0 + 1, 1000)).map((e) => e.id)).not.toContain(id);
      expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toHaveLength(1);
    });

    it('honours the limit', async () => {
      const store = fx().port;
      const job = makeJob({ createdAt: T0 });
      await store.createJob({ job, tasks: [], events: [makeEvent(job), makeEvent(job), makeEvent(job)] });
      expect(await store.unpublishedEvents(T0, 2)).toHaveLength(2);
      await expectDalstonError(store.unpublishedEvents(T0, 0), 'VALIDATION_FAILED');
    });
  });
}
