/**
 * JobStore contract: row retention (`deleteExpiredJobRows`). Only terminal, purged jobs
 * finished at or before the cutoff go, each with its tasks and events, in (finishedAt, id)
 * order after the cursor, at most `limit` per call; a job with an unpublished event waits;
 * everything else (live jobs, unpurged jobs, recent jobs, other jobs' events, session
 * events) stays. Each test works in a time range of its own, far in the past, and pages
 * from the start of that range, so rows other tests left on a shared store do not count.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStore, RowRetentionCursor } from '../ports/job-store.js';
import { makeEvent, makeJob, makeSessionEvent, makeTask, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { useFixture } from './store-helpers.js';

/** A time range of this test's own (years 2001..2031), and the cursor just before it. */
function range(): { base: number; start: RowRetentionCursor } {
  const base = Date.UTC(2001, 0, 1) + (randomInt(0, 2 ** 47 - 1) % (30 * 365 * 86_400_000));
  return { base, start: { finishedAt: base - 1, id: '' } };
}

interface Seeded {
  job: Job;
  tasks: Task[];
}

/** A job with two tasks (one depending on the other) and three events, all published. */
async function seed(store: JobStore, job: Partial<Job>, { publish = true } = {}): Promise<Seeded> {
  const j = makeJob(job);
  const a = makeTask(j, { stage: 'a', status: 'completed' });
  const b = makeTask(j, { stage: 'b', status: 'completed', dependsOn: ['a'] });
  const events = [makeEvent(j), makeEvent(j, { type: 'task.completed', taskId: a.id }), makeEvent(j)];
  const created = await store.createJob({ job: j, tasks: [a, b], events });
  if (!created.created) throw new Error('seed: job not created');
  if (publish) await store.markPublished(created.events.map((e) => e.id));
  return { job: j, tasks: [a, b] };
}

const finished = (tenantId: string, finishedAt: number, extra: Partial<Job> = {}): Partial<Job> => ({
  tenantId,
  status: 'completed',
  createdAt: finishedAt - 10,
  startedAt: finishedAt - 5,
  finishedAt,
  retentionDays: 0,
  purgeAfter: finishedAt,
  purgedAt: finishedAt,
  ...extra,
});

async function gone(store: JobStore, s: Seeded): Promise<boolean> {
  const events = await store.readEvents({ tenantId: s.job.tenantId, jobId: s.job.id, limit: 100 });
  return (await store.getSnapshot(null, s.job.id)) === null && events.length === 0;
}

export function jobStoreRetentionContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore row retention`, () => {
    const fx = useFixture(factory);

    it('deletes purged jobs finished by the cutoff with their tasks and events; keeps the rest', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { base, start } = range();
      const old = await seed(store, finished(tenantId, base, { idempotencyKey: 'k-old' }));
      const failed = await seed(store, finished(tenantId, base + 1, { status: 'failed' }));
      const keep = [
        await seed(store, finished(tenantId, base + 2, { purgedAt: null })),
        await seed(
          store,
          finished(tenantId, base + 2, { retentionDays: -1, purgeAfter: null, purgedAt: null }),
        ),
        await seed(store, finished(tenantId, base + 100)),
        await seed(store, { tenantId, status: 'running', createdAt: base, startedAt: base }),
      ];
      await store.appendEvents([makeSessionEvent(tenantId, { at: base })]);
      const r = await store.deleteExpiredJobRows(base + 99, 10, start);
      expect(r).toEqual({ jobs: 2, tasks: 4, events: 6, last: { finishedAt: base + 1, id: failed.job.id } });
      expect(await gone(store, old)).toBe(true);
      expect(await gone(store, failed)).toBe(true);
      expect(await store.getJob(tenantId, old.job.id)).toBeNull();
      expect(await store.getJobByIdempotencyKey(tenantId, 'k-old')).toBeNull();
      expect(await store.existingJobIds([old.job.id, keep[0]!.job.id])).toEqual(new Set([keep[0]!.job.id]));
      for (const k of keep) {
        const snapshot = await store.getSnapshot(tenantId, k.job.id);
        expect(snapshot?.tasks.map((t) => t.id)).toEqual(k.tasks.map((t) => t.id));
        expect(await store.readEvents({ tenantId, jobId: k.job.id, limit: 100 })).toHaveLength(3);
      }
      const listed = await store.listJobs({ tenantId, limit: 100 });
      expect(listed.jobs.map((j) => j.id).sort()).toEqual(keep.map((k) => k.job.id).sort());
      const log = await store.readEvents({ tenantId, limit: 100 });
      expect(log.filter((e) => e.jobId === null)).toHaveLength(1);
      expect(log).toHaveLength(13);
      expect(await store.deleteExpiredJobRows(base + 99, 10, start)).toEqual({
        jobs: 0,
        tasks: 0,
        events: 0,
        last: null,
      });
    });

    it('the cutoff is inclusive and nothing finished after it goes', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { base, start } = range();
      const at = await seed(store, finished(tenantId, base + 5));
      const after = await seed(store, finished(tenantId, base + 6));
      expect((await store.deleteExpiredJobRows(base + 4, 10, start)).jobs).toBe(0);
      expect((await store.deleteExpiredJobRows(base + 5, 10, start)).jobs).toBe(1);
      expect(await gone(store, at)).toBe(true);
      expect(await gone(store, after)).toBe(false);
    });

    it('pages in (finishedAt, id) order after the cursor, at most limit jobs per call', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { base, start } = range();
      const jobs: Seeded[] = [];
      for (let i = 0; i < 7; i++) jobs.push(await seed(store, finished(tenantId, base + Math.floor(i / 2))));
      const order = [...jobs].sort(
        (x, y) => x.job.finishedAt! - y.job.finishedAt! || (x.job.id < y.job.id ? -1 : 1),
      );
      const first = await store.deleteExpiredJobRows(base + 10, 3, start);
      expect(first.jobs).toBe(3);
      expect(first.last).toEqual({ finishedAt: order[2]!.job.finishedAt, id: order[2]!.job.id });
      for (const s of order.slice(0, 3)) expect(await gone(store, s)).toBe(true);
      for (const s of order.slice(3)) expect(await gone(store, s)).toBe(false);
      // After a cursor past a job, that job is not taken (it waits for the next round).
      const skip = { finishedAt: order[3]!.job.finishedAt!, id: order[3]!.job.id };
      const second = await store.deleteExpiredJobRows(base + 10, 2, skip);
      expect(second.last).toEqual({ finishedAt: order[5]!.job.finishedAt, id: order[5]!.job.id });
      expect(await gone(store, order[3]!)).toBe(false);
      const rest = await store.deleteExpiredJobRows(base + 10, 3, start);
      expect(rest.jobs).toBe(2);
      for (const s of order) expect(await gone(store, s)).toBe(true);
    });

    it('a job with an unpublished event keeps its rows until the relay published it', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { base, start } = range();
      const s = await seed(store, finished(tenantId, base), { publish: false });
      expect((await store.deleteExpiredJobRows(base, 10, start)).jobs).toBe(0);
      const events = await store.readEvents({ tenantId, jobId: s.job.id, limit: 100 });
      await store.markPublished(events.slice(0, 2).map((e) => e.id));
      expect((await store.deleteExpiredJobRows(base, 10, start)).jobs).toBe(0);
      await store.markPublished(events.map((e) => e.id));
      expect((await store.deleteExpiredJobRows(base, 10, start)).jobs).toBe(1);
      expect(await gone(store, s)).toBe(true);
    });

    it('a deleted job no longer takes updates, and its id can be created again', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { base, start } = range();
      const s = await seed(store, finished(tenantId, base, { idempotencyKey: 'again' }));
      expect((await store.deleteExpiredJobRows(base, 10, start)).jobs).toBe(1);
      const update = await store.updateJob(s.job.id, () => ({ job: null, tasks: [], events: [] }));
      expect(update).toEqual({ applied: false, reason: 'not_found' });
      const again = await seed(store, { ...s.job, status: 'pending', purgedAt: null, finishedAt: null });
      expect((await store.getJobByIdempotencyKey(tenantId, 'again'))?.id).toBe(again.job.id);
    });
  });
}
