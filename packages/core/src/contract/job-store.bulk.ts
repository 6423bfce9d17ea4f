/**
 * JobStore contract: `createJobs`, many jobs in one transaction. Every job of the call is
 * created with its tasks, edges and events (event ids in input order); an idempotency key
 * already used (by a stored job or by an earlier input of the call) answers with that job
 * and writes nothing; any input that cannot be written (a duplicate id) leaves none of the
 * call stored. Checked through the other read methods (getSnapshot, readEvents, the key
 * lookup), not only through the call's answer.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../domain/job.js';
import type { CreateJobInput, JobStore } from '../ports/job-store.js';
import { makeEvent, makeJob, makeTask, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

/** A job of a → b with a `job.created` and a `task.ready` event. */
function diamondlessInput(overrides: Partial<Job> = {}): CreateJobInput {
  const job = makeJob(overrides);
  const a = makeTask(job, { stage: 'a', status: 'ready' });
  const b = makeTask(job, { stage: 'b', dependsOn: ['a'] });
  return {
    job,
    tasks: [a, b],
    events: [makeEvent(job), makeEvent(job, { type: 'task.ready', taskId: a.id })],
  };
}

export function jobStoreBulkContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore createJobs`, () => {
    const fx = useFixture(factory);

    it('creates every job with its tasks and events, answering in input order', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const inputs = [1, 2, 3].map(() => diamondlessInput({ tenantId }));
      const results = await store.createJobs(inputs);
      expect(results).toHaveLength(3);
      let lastEventId = 0;
      results.forEach((r, i) => {
        const { job, tasks, events } = inputs[i]!;
        expect(r.created).toBe(true);
        if (!r.created) return;
        expect(r.snapshot).toEqual({ job, tasks });
        expect(r.events.map(({ id: _, ...e }) => e)).toEqual(events);
        for (const e of r.events) {
          expect(e.id).toBeGreaterThan(lastEventId);
          lastEventId = e.id;
        }
      });
      for (const { job, tasks } of inputs) {
        expect(await store.getSnapshot(tenantId, job.id)).toEqual({ job, tasks });
      }
      const log = await store.readEvents({ tenantId, limit: 100 });
      expect(log.map((e) => e.jobId)).toEqual(inputs.flatMap((i) => i.events.map(() => i.job.id)));
      expect(log.map((e) => e.id)).toEqual(
        results.flatMap((r) => (r.created ? r.events.map((e) => e.id) : [])),
      );
    });

    it('answers a key already used by a stored job with that job, writing nothing for it', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const first = diamondlessInput({ tenantId, idempotencyKey: 'k-1' });
      await store.createJob(first);
      const again = diamondlessInput({ tenantId, idempotencyKey: 'k-1', parameters: { other: true } });
      const fresh = diamondlessInput({ tenantId, idempotencyKey: 'k-2' });
      const results = await store.createJobs([again, fresh]);
      expect(results[0]).toEqual({ created: false, snapshot: { job: first.job, tasks: first.tasks } });
      expect(results[1]!.created).toBe(true);
      expect(await store.getJob(tenantId, again.job.id)).toBeNull();
      expect(await store.getJobByIdempotencyKey(tenantId, 'k-2')).toEqual(fresh.job);
      const log = await store.readEvents({ tenantId, limit: 100 });
      expect(new Set(log.map((e) => e.jobId))).toEqual(new Set([first.job.id, fresh.job.id]));
    });

    it('answers a later input with the key of an earlier input of the call with the earlier job', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const one = diamondlessInput({ tenantId, idempotencyKey: 'same' });
      const two = diamondlessInput({ tenantId, idempotencyKey: 'same' });
      const results = await store.createJobs([one, two]);
      expect(results[0]!.created).toBe(true);
      expect(results[1]).toEqual({ created: false, snapshot: { job: one.job, tasks: one.tasks } });
      expect(await store.getJob(tenantId, two.job.id)).toBeNull();
      expect(await store.readEvents({ tenantId, jobId: two.job.id, limit: 10 })).toEqual([]);
    });

    it('scopes keys by tenant within one call', async () => {
      const store = fx().port;
      const one = diamondlessInput({ idempotencyKey: 'shared' });
      const two = diamondlessInput({ idempotencyKey: 'shared' });
      const results = await store.createJobs([one, two]);
      expect(results.map((r) => r.created)).toEqual([true, true]);
      expect(await store.getJob(two.job.tenantId, two.job.id)).toEqual(two.job);
    });

    it('stores none of the call when one input has a job id that already exists', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const stored = diamondlessInput({ tenantId });
      await store.createJob(stored);
      const ok = diamondlessInput({ tenantId, idempotencyKey: 'would-be' });
      const dup = diamondlessInput({ tenantId });
      dup.job = { ...dup.job, id: stored.job.id };
      dup.tasks = dup.tasks.map((t) => ({ ...t, jobId: stored.job.id }));
      dup.events = dup.events.map((e) => ({ ...e, jobId: stored.job.id }));
      await expectDalstonError(store.createJobs([ok, dup]), 'CONFLICT');
      expect(await store.getJob(tenantId, ok.job.id)).toBeNull();
      expect(await store.getJobByIdempotencyKey(tenantId, 'would-be')).toBeNull();
      expect(await store.getSnapshot(tenantId, stored.job.id)).toEqual({
        job: stored.job,
        tasks: stored.tasks,
      });
      const log = await store.readEvents({ tenantId, limit: 100 });
      expect(log.map((e) => e.jobId)).toEqual(stored.events.map(() => stored.job.id));
    });

    it('stores none of the call when two inputs share a task id', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const one = diamondlessInput({ tenantId });
      const two = diamondlessInput({ tenantId });
      two.tasks = [{ ...two.tasks[0]!, id: one.tasks[0]!.id }, two.tasks[1]!];
      await expectDalstonError(store.createJobs([one, two]), 'CONFLICT');
      expect(await store.getJob(tenantId, one.job.id)).toBeNull();
      expect(await store.getJob(tenantId, two.job.id)).toBeNull();
      expect(await store.readEvents({ tenantId, limit: 100 })).toEqual([]);
    });

    it('returns copies: changing the answer or the input changes nothing stored', async () => {
      const store = fx().port;
      const input = diamondlessInput();
      const [r] = await store.createJobs([input]);
      if (!r?.created) throw new Error('expected a created job');
      const { job, tasks } = structuredClone({ job: input.job, tasks: input.tasks });
      r.snapshot.job.parameters.language = 'changed';
      r.snapshot.tasks[0]!.stage = 'changed';
      input.job.parameters.language = 'changed too';
      expect(await store.getSnapshot(job.tenantId, job.id)).toEqual({ job, tasks });
    });

    it('creates a batch of 200 jobs in one call, readable one by one and listed', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const inputs = Array.from({ length: 200 }, () => diamondlessInput({ tenantId }));
      const results = await store.createJobs(inputs);
      expect(results.every((r) => r.created)).toBe(true);
      const page = await store.listJobs({ tenantId, limit: 1000 });
      expect(new Set(page.jobs.map((j) => j.id))).toEqual(new Set(inputs.map((i) => i.job.id)));
      const ready = results.flatMap((r) => r.snapshot.tasks.filter((t) => t.status === 'ready'));
      expect(ready).toHaveLength(200);
    });
  });
}
