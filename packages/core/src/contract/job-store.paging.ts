/**
 * JobStore contract, what the paged maintenance passes rely on: ready tasks changed since
 * a mark (reconcile's incremental re-enqueue), keyset paging of jobs due for purge, and
 * `job.purged` recorded with purgedAt in one transaction.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStore } from '../ports/job-store.js';
import { makeEvent, makeJob, makeTask, newId, taskWrite } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

const T0 = Date.UTC(2026, 0, 1);

async function seed(store: JobStore, job: Partial<Job> = {}, tasks: Partial<Task>[] = []) {
  const j = makeJob(job);
  const ts = tasks.map((t, i) => makeTask(j, { stage: `s${i}`, ...t }));
  await store.createJob({ job: j, tasks: ts, events: [makeEvent(j)] });
  return { job: j, tasks: ts };
}

const idsOf = (items: { id: string }[], mine: Set<string>) =>
  items.map((i) => i.id).filter((id) => mine.has(id));

/** Sets one task's status (and attempt) through updateJob. */
async function rewrite(store: JobStore, task: Task, patch: Partial<Task>) {
  const r = await store.updateJob(task.jobId, (s) => ({
    job: null,
    tasks: [taskWrite(s.tasks.find((t) => t.id === task.id)!, patch)],
    events: [],
  }));
  expect(r.applied).toBe(true);
}

export function jobStorePagingContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore paging for maintenance`, () => {
    const fx = useFixture(factory);

    it('finds only the ready tasks changed since a mark, in id order, paging after an id', async () => {
      const store = fx().port;
      const before = await seed(store, {}, [{ status: 'ready' }, { status: 'pending' }, { status: 'ready' }]);
      const mark = await store.readyMark();
      const after = await seed(store, {}, [{ status: 'ready' }, { status: 'ready' }]);
      await rewrite(store, before.tasks[1]!, { status: 'ready' }); // pending → ready
      await rewrite(store, before.tasks[2]!, { status: 'running', leaseToken: 'tok' }); // left ready
      await rewrite(store, after.tasks[1]!, { status: 'ready', attempt: 2 }); // re-written while ready
      const mine = new Set([...before.tasks, ...after.tasks].map((t) => t.id));
      const changed = [after.tasks[0]!.id, after.tasks[1]!.id, before.tasks[1]!.id].sort();
      const allReady = [before.tasks[0]!.id, ...changed].sort();
      // Never fewer than the changed ones; a store may add tasks changed a little before the
      // mark (PostgreSQL: transactions still open anywhere on the server when it was taken).
      const found = idsOf(await store.findReadyTasks(1000, undefined, { changedSince: mark }), mine);
      expect(found).toEqual(expect.arrayContaining(changed));
      expect(allReady).toEqual(expect.arrayContaining(found));
      expect([...found].sort()).toEqual(found);
      const walked: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await store.findReadyTasks(1, cursor, { changedSince: mark });
        if (page.length === 0) break;
        walked.push(page[0]!.id);
        cursor = page[0]!.id;
      }
      expect(walked.filter((id) => mine.has(id))).toEqual(found);
      // Without a mark: every ready task, as before.
      expect(idsOf(await store.findReadyTasks(1000), mine)).toEqual(allReady);
      // A mark taken once those changes are over finds none of them (waiting out other
      // transactions that were open on a shared server).
      let since: string[] = [];
      for (let i = 0; i < 100; i++) {
        since = idsOf(
          await store.findReadyTasks(1000, undefined, { changedSince: await store.readyMark() }),
          mine,
        );
        if (since.length === 0) break;
        await fx().time.advance(100);
      }
      expect(since).toEqual([]);
    });

    it('refuses a changedSince that is not a mark', async () => {
      const store = fx().port;
      await expectDalstonError(
        store.findReadyTasks(10, undefined, { changedSince: 'not a mark' }),
        'VALIDATION_FAILED',
        'options.changedSince',
      );
    });

    it('pages through jobs due for purge by (purgeAfter, id)', async () => {
      const store = fx().port;
      const due = await Promise.all(
        [30, 10, 20, 10, 0].map((d) => seed(store, { status: 'completed', purgeAfter: T0 - 100 + d })),
      );
      const mine = new Set(due.map((s) => s.job.id));
      const expected = due
        .map((s) => s.job)
        .sort((a, b) => a.purgeAfter! - b.purgeAfter! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((j) => j.id);
      const walked: string[] = [];
      let after: { purgeAfter: number; id: string } | undefined;
      for (let i = 0; i < 1000; i++) {
        const page = await store.findJobsDueForPurge(T0, 2, after);
        if (page.length === 0) break;
        walked.push(...page.map((j) => j.id));
        const last = page[page.length - 1]!;
        after = { purgeAfter: last.purgeAfter!, id: last.id };
      }
      expect(walked.filter((id) => mine.has(id))).toEqual(expected);
    });

    it('records the purge events with purgedAt, and nothing when the job is not purged', async () => {
      const store = fx().port;
      const { job } = await seed(store, { status: 'completed', purgeAfter: T0 - 1 });
      const purged = makeEvent(job, { type: 'job.purged', at: T0, payload: { purgedAt: T0 } });
      expect(await store.markPurged(job.id, T0, [purged])).toBe(true);
      expect(await store.markPurged(job.id, T0 + 1, [{ ...purged, at: T0 + 1 }])).toBe(false);
      const running = await seed(store, { tenantId: job.tenantId, status: 'running' });
      expect(
        await store.markPurged(running.job.id, T0, [makeEvent(running.job, { type: 'job.purged' })]),
      ).toBe(false);
      expect(await store.markPurged(newId('job'), T0, [])).toBe(false);
      const events = await store.readEvents({ tenantId: job.tenantId, limit: 100 });
      const purgeEvents = events.filter((e) => e.type === 'job.purged');
      expect(purgeEvents).toHaveLength(1);
      expect(purgeEvents[0]).toMatchObject({ jobId: job.id, at: T0, payload: { purgedAt: T0 } });
      expect((await store.getJob(job.tenantId, job.id))?.purgedAt).toBe(T0);
    });
  });
}
