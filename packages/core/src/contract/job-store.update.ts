/**
 * JobStore contract: serialised read-decide-write (updateJob) with all-or-nothing
 * compare-and-set, and lease extension fenced by (attempt, leaseToken).
 */
import { describe, expect, it } from 'vitest';
import type { JobChange, JobSnapshot, TaskWrite } from '../domain/change.js';
import type { Job } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStore } from '../ports/job-store.js';
import { jobWrite, makeEvent, makeJob, makeTask, newId, taskWrite } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, HOSTILE_STRINGS, hostileObject, useFixture } from './store-helpers.js';

async function seed(store: JobStore, taskOverrides: Partial<Task>[] = [{}], jobOverrides: Partial<Job> = {}) {
  const job = makeJob(jobOverrides);
  const tasks = taskOverrides.map((o, i) => makeTask(job, { stage: `s${i}`, ...o }));
  await store.createJob({ job, tasks, events: [makeEvent(job)] });
  return { job, tasks };
}

const running = { status: 'running', leaseToken: 'lease-a', leaseExpiresAt: 1_000_000 } as const;

export function jobStoreUpdateContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore updateJob`, () => {
    const fx = useFixture(factory);

    it('applies job and task writes with their events, and returns the new snapshot', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{ status: 'ready' }, {}]);
      const started = { ...running, startedAt: 5 };
      const result = await store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running', startedAt: 5 }),
        tasks: [taskWrite(s.tasks[0]!, started)],
        events: [makeEvent(job, { type: 'task.started', taskId: tasks[0]!.id, payload: { attempt: 1 } })],
      }));
      expect(result.applied).toBe(true);
      if (!result.applied) return;
      const expectedJob = { ...job, status: 'running', startedAt: 5, version: 2 };
      const expectedTasks = [{ ...tasks[0]!, ...started, version: 2 }, tasks[1]!];
      expect(result.snapshot).toEqual({ job: expectedJob, tasks: expectedTasks });
      expect(await store.getSnapshot(job.tenantId, job.id)).toEqual(result.snapshot);
      expect(result.events).toHaveLength(1);
      expect(result.events[0]).toMatchObject({ type: 'task.started', taskId: tasks[0]!.id, jobId: job.id });
      expect(result.change.tasks[0]!.next).toEqual(expectedTasks[0]);
      const log = await store.readEvents({ tenantId: job.tenantId, jobId: job.id, limit: 10 });
      expect(log.map((e) => e.type)).toEqual(['job.created', 'task.started']);
      expect(log[1]).toEqual(result.events[0]);
    });

    it('hands decide a snapshot equal to what is stored, tasks in creation order', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{}, {}, {}]);
      let seen: JobSnapshot | undefined;
      await store.updateJob(job.id, (s) => {
        seen = structuredClone(s);
        return null;
      });
      expect(seen).toEqual({ job, tasks });
    });

    it('reports no_change for a null or empty change, and writes nothing', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store);
      const mutateAndDecline = (s: JobSnapshot) => {
        s.job.status = 'failed';
        s.tasks[0]!.status = 'failed';
        return null;
      };
      expect(await store.updateJob(job.id, mutateAndDecline)).toEqual({
        applied: false,
        reason: 'no_change',
      });
      const empty: JobChange = { job: null, tasks: [], events: [] };
      expect(await store.updateJob(job.id, () => empty)).toEqual({ applied: false, reason: 'no_change' });
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
      expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toHaveLength(1);
    });

    it('reports not_found for an unknown job without calling decide', async () => {
      const store = fx().port;
      let called = false;
      const result = await store.updateJob(newId('job'), () => {
        called = true;
        return null;
      });
      expect(result).toEqual({ applied: false, reason: 'not_found' });
      expect(called).toBe(false);
    });

    it('records an events-only change without touching the job', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store);
      const progress = makeEvent(job, { type: 'task.progress', taskId: tasks[0]!.id, payload: { pct: 50 } });
      const result = await store.updateJob(job.id, () => ({ job: null, tasks: [], events: [progress] }));
      expect(result.applied).toBe(true);
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
      const log = await store.readEvents({ tenantId: job.tenantId, jobId: job.id, limit: 10 });
      expect(log.map((e) => e.payload)).toEqual([{}, { pct: 50 }]);
    });

    it('reports conflict on a stale job version and writes nothing at all', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{ status: 'ready' }]);
      const result = await store.updateJob(job.id, (s) => ({
        job: {
          expected: { status: s.job.status, version: s.job.version + 1 },
          next: { ...s.job, version: 9 },
        },
        tasks: [taskWrite(s.tasks[0]!, running)],
        events: [makeEvent(job, { type: 'task.started' })],
      }));
      expect(result).toEqual({ applied: false, reason: 'conflict' });
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
      expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toHaveLength(1);
    });

    it('reports conflict on a stale job status', async () => {
      const store = fx().port;
      const { job } = await seed(store);
      const result = await store.updateJob(job.id, (s) => ({
        job: {
          expected: { status: 'running', version: s.job.version },
          next: { ...s.job, status: 'completed' },
        },
        tasks: [],
        events: [],
      }));
      expect(result).toEqual({ applied: false, reason: 'conflict' });
      expect((await store.getJob(job.tenantId, job.id))?.status).toBe('pending');
    });

    const staleTaskCases: Array<[string, (t: Task) => Partial<TaskWrite['expected']>]> = [
      ['status', (t) => ({ status: t.status === 'ready' ? 'pending' : 'ready' })],
      ['attempt', (t) => ({ attempt: t.attempt + 1 })],
      ['leaseToken', () => ({ leaseToken: 'someone-else' })],
    ];
    for (const [field, stale] of staleTaskCases) {
      it(`reports conflict when a task's ${field} changed, and applies none of the change`, async () => {
        const store = fx().port;
        const { job, tasks } = await seed(store, [{ status: 'ready' }, { ...running }]);
        const result = await store.updateJob(job.id, (s) => {
          const ok = taskWrite(s.tasks[0]!, running);
          const bad = taskWrite(s.tasks[1]!, { status: 'completed', output: { done: true } });
          bad.expected = { ...bad.expected, ...stale(s.tasks[1]!) };
          return {
            job: jobWrite(s.job, { status: 'running' }),
            tasks: [ok, bad],
            events: [makeEvent(job, { type: 'task.completed' })],
          };
        });
        expect(result).toEqual({ applied: false, reason: 'conflict' });
        expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
        expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toHaveLength(1);
      });
    }

    it('reports conflict for a write to a task of another job', async () => {
      const store = fx().port;
      const a = await seed(store);
      const b = await seed(store);
      const result = await store.updateJob(a.job.id, () => ({
        job: null,
        tasks: [taskWrite(b.tasks[0]!, { status: 'cancelled' })],
        events: [],
      }));
      expect(result).toEqual({ applied: false, reason: 'conflict' });
      expect(await store.getSnapshot(null, b.job.id)).toEqual(b);
    });

    it('fences a stale worker: after a take-over its write is a conflict', async () => {
      const store = fx().port;
      const { job } = await seed(store, [{ status: 'ready' }]);
      const before = (await store.getSnapshot(null, job.id))!;
      const start = (token: string) => () => ({
        job: null,
        tasks: [taskWrite(before.tasks[0]!, { ...running, leaseToken: token })],
        events: [],
      });
      const [first, second] = await Promise.all([
        store.updateJob(job.id, start('worker-1')),
        store.updateJob(job.id, start('worker-2')),
      ]);
      expect([first.applied, second.applied].sort()).toEqual([false, true]);
      const loser = first.applied ? second : first;
      expect(loser).toEqual({ applied: false, reason: 'conflict' });
      const stored = (await store.getSnapshot(null, job.id))!.tasks[0]!;
      expect(stored.leaseToken).toBe(first.applied ? 'worker-1' : 'worker-2');
    });

    it('serialises concurrent updates of one job: 50 increments, none lost', async () => {
      const store = fx().port;
      const { job } = await seed(store, [{ output: { n: 0 } }]);
      const increment = (s: JobSnapshot): JobChange => {
        const task = s.tasks[0]!;
        const n = (task.output as { n: number }).n + 1;
        return {
          job: jobWrite(s.job),
          tasks: [taskWrite(task, { output: { n } })],
          events: [makeEvent(job, { type: 'task.progress', payload: { n } })],
        };
      };
      const results = await Promise.all(Array.from({ length: 50 }, () => store.updateJob(job.id, increment)));
      expect(results.every((r) => r.applied)).toBe(true);
      const after = (await store.getSnapshot(null, job.id))!;
      expect(after.tasks[0]!.output).toEqual({ n: 50 });
      expect(after.job.version).toBe(job.version + 50);
      const log = await store.readEvents({ tenantId: job.tenantId, jobId: job.id, limit: 100 });
      expect(log.slice(1).map((e) => e.payload.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const ids = log.map((e) => e.id);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    });

    it('keeps updates of different jobs independent', async () => {
      const store = fx().port;
      const jobs = await Promise.all(Array.from({ length: 5 }, () => seed(store)));
      const results = await Promise.all(
        jobs.map(({ job }) =>
          store.updateJob(job.id, (s) => ({
            job: jobWrite(s.job, { status: 'running' }),
            tasks: [],
            events: [],
          })),
        ),
      );
      expect(results.every((r) => r.applied)).toBe(true);
      for (const { job } of jobs) expect((await store.getJob(job.tenantId, job.id))?.status).toBe('running');
    });

    it('rejects when decide throws, writes nothing, and keeps the job updatable', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store);
      await expect(
        store.updateJob(job.id, () => {
          throw new Error('decide exploded');
        }),
      ).rejects.toThrow();
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
      const again = await store.updateJob(job.id, (s) => ({ job: jobWrite(s.job), tasks: [], events: [] }));
      expect(again.applied).toBe(true);
    });

    it('returns copies: changing the returned snapshot or change does not change the store', async () => {
      const store = fx().port;
      const { job } = await seed(store);
      const result = await store.updateJob(job.id, (s) => ({ job: jobWrite(s.job), tasks: [], events: [] }));
      if (!result.applied) throw new Error('expected applied');
      const expected = structuredClone(result.snapshot);
      result.snapshot.job.status = 'failed';
      result.change.job!.next.status = 'failed';
      expect(await store.getSnapshot(null, job.id)).toEqual(expected);
    });

    it('round-trips hostile strings written by an update', async () => {
      const store = fx().port;
      const { job } = await seed(store, [{ ...running }]);
      const hostile = hostileObject();
      const result = await store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { error: { code: 'E', message: "'; DROP TABLE x; -- 🎉" } }),
        tasks: [taskWrite(s.tasks[0]!, { status: 'completed', output: hostile, leaseToken: null })],
        events: [makeEvent(job, { type: 'task.completed', payload: hostile })],
      }));
      expect(result.applied).toBe(true);
      const after = (await store.getSnapshot(null, job.id))!;
      expect(after.tasks[0]!.output).toEqual(hostile);
      expect(after.job.error).toEqual({ code: 'E', message: "'; DROP TABLE x; -- 🎉" });
      const log = await store.readEvents({ tenantId: job.tenantId, jobId: job.id, limit: 10 });
      expect(log[1]?.payload).toEqual(hostile);
    });
  });

  describe(`${name}: JobStore extendLease`, () => {
    const fx = useFixture(factory);

    it('extends the lease of a running task with the right attempt and token', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{ ...running, attempt: 2 }]);
      expect(await store.extendLease(tasks[0]!.id, 2, 'lease-a', 2_000_000)).toBe(true);
      const after = (await store.getSnapshot(null, job.id))!.tasks[0]!;
      expect(after).toMatchObject({
        status: 'running',
        attempt: 2,
        leaseToken: 'lease-a',
        leaseExpiresAt: 2_000_000,
      });
    });

    it('refuses a wrong token, a wrong attempt, a task not running, or an unknown task', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{ ...running }, { status: 'ready', leaseToken: 'lease-a' }]);
      expect(await store.extendLease(tasks[0]!.id, 1, 'lease-b', 9)).toBe(false);
      expect(await store.extendLease(tasks[0]!.id, 2, 'lease-a', 9)).toBe(false);
      expect(await store.extendLease(tasks[1]!.id, 1, 'lease-a', 9)).toBe(false);
      expect(await store.extendLease(newId('task'), 1, 'lease-a', 9)).toBe(false);
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
    });

    it('stops extending once an update moved the task on', async () => {
      const store = fx().port;
      const { job, tasks } = await seed(store, [{ ...running }]);
      await store.updateJob(job.id, (s) => ({
        job: null,
        tasks: [taskWrite(s.tasks[0]!, { status: 'completed', leaseToken: null, leaseExpiresAt: null })],
        events: [],
      }));
      expect(await store.extendLease(tasks[0]!.id, 1, 'lease-a', 5_000_000)).toBe(false);
    });

    it('rejects nothing for odd ids: an unknown hostile id is just a miss', async () => {
      const store = fx().port;
      await expect(store.extendLease("'; DROP TABLE tasks; --", 1, "'", 1)).resolves.toBe(false);
      await expectDalstonError(store.listJobs({ tenantId: "'; --", limit: 0 }), 'VALIDATION_FAILED', 'limit');
    });

    // peekSnapshot is optional; core falls back to getSnapshot(null, id), so both are held to this.
    const peek = (store: JobStore, jobId: string) =>
      store.peekSnapshot ? store.peekSnapshot(jobId) : store.getSnapshot(null, jobId);

    it('peekSnapshot: the state after this store’s own writes, null for an unknown or hostile id', async () => {
      const store = fx().port;
      const { job } = await seed(store, [{ status: 'ready' }, {}]);
      expect(await peek(store, job.id)).toEqual(await store.getSnapshot(null, job.id));
      const r = await store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running', startedAt: 7 }),
        tasks: [taskWrite(s.tasks[0]!, { ...running, startedAt: 7 })],
        events: [],
      }));
      expect(r.applied).toBe(true);
      if (!r.applied) return;
      expect(await peek(store, job.id)).toEqual(r.snapshot);
      expect(await peek(store, newId('job'))).toBeNull();
      for (const id of HOSTILE_STRINGS) expect(await peek(store, id)).toBeNull();
    });

    it('peekSnapshot returns copies: changing one changes neither the store nor the next peek', async () => {
      const store = fx().port;
      const { job } = await seed(store);
      const first = await peek(store, job.id);
      first!.job.status = 'failed';
      first!.tasks[0]!.stage = 'mutated';
      expect(await peek(store, job.id)).toEqual(await store.getSnapshot(null, job.id));
      expect((await peek(store, job.id))?.job.status).toBe(job.status);
    });
  });
}
