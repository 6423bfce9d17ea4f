/**
 * JobStore contract: creating jobs (atomicity, idempotency keys, duplicate ids), reading
 * them back (tenant scoping, copies, exact round-trips), looking a job up by its
 * idempotency key, and session events.
 */
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../ports/job-store.js';
import { jobWrite, makeEvent, makeJob, makeSessionEvent, makeTask, newId, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, HOSTILE_STRINGS, hostileObject, useFixture } from './store-helpers.js';

export function jobStoreCreateContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore create and read`, () => {
    const fx = useFixture(factory);

    it('creates a job with its tasks and events and returns them', async () => {
      const store = fx().port;
      const job = makeJob();
      const tasks = [makeTask(job, { stage: 'a' }), makeTask(job, { stage: 'b', dependsOn: ['a'] })];
      const events = [makeEvent(job), makeEvent(job, { type: 'task.ready', taskId: tasks[0]!.id })];
      const result = await store.createJob({ job, tasks, events });
      expect(result.created).toBe(true);
      if (!result.created) return;
      expect(result.snapshot).toEqual({ job, tasks });
      expect(result.events).toHaveLength(2);
      result.events.forEach((e, i) => {
        const { id, ...rest } = e;
        expect(Number.isInteger(id) && id > 0).toBe(true);
        expect(rest).toEqual(events[i]);
      });
      expect(result.events[1]!.id).toBeGreaterThan(result.events[0]!.id);
    });

    it('reads the job back by tenant, and the snapshot by tenant or by any tenant', async () => {
      const store = fx().port;
      const job = makeJob();
      const tasks = [makeTask(job, { stage: 'one' }), makeTask(job, { stage: 'two' }), makeTask(job)];
      await store.createJob({ job, tasks, events: [] });
      expect(await store.getJob(job.tenantId, job.id)).toEqual(job);
      expect(await store.getSnapshot(job.tenantId, job.id)).toEqual({ job, tasks });
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks });
    });

    it('keeps the trace context it was created with, through updates and every read', async () => {
      const store = fx().port;
      const traceContext = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      const job = makeJob({ traceContext, idempotencyKey: newId('key') });
      await store.createJob({ job, tasks: [makeTask(job)], events: [] });
      await store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running', startedAt: job.createdAt + 1 }),
        tasks: [],
        events: [],
      }));
      expect((await store.getJob(job.tenantId, job.id))?.traceContext).toBe(traceContext);
      expect((await store.getSnapshot(null, job.id))?.job.traceContext).toBe(traceContext);
      expect((await store.getJobByIdempotencyKey(job.tenantId, job.idempotencyKey!))?.traceContext).toBe(
        traceContext,
      );
    });

    it("reads another tenant's job, and an unknown job, as null", async () => {
      const store = fx().port;
      const job = makeJob();
      await store.createJob({ job, tasks: [makeTask(job)], events: [] });
      const other = newTenantId();
      expect(await store.getJob(other, job.id)).toBeNull();
      expect(await store.getSnapshot(other, job.id)).toBeNull();
      expect(await store.getJob(job.tenantId, newId('job'))).toBeNull();
      expect(await store.getSnapshot(null, newId('job'))).toBeNull();
    });

    it('creates a job without tasks or events', async () => {
      const store = fx().port;
      const job = makeJob();
      const result = await store.createJob({ job, tasks: [], events: [] });
      expect(result).toEqual({ created: true, snapshot: { job, tasks: [] }, events: [] });
    });

    it('returns the existing job, unchanged, for an idempotency key already used by the tenant', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const first = makeJob({ tenantId, idempotencyKey: 'upload-42' });
      const firstTasks = [makeTask(first)];
      await store.createJob({ job: first, tasks: firstTasks, events: [makeEvent(first)] });
      const second = makeJob({ tenantId, idempotencyKey: 'upload-42', parameters: { other: true } });
      const result = await store.createJob({
        job: second,
        tasks: [makeTask(second)],
        events: [makeEvent(second)],
      });
      expect(result).toEqual({ created: false, snapshot: { job: first, tasks: firstTasks } });
      expect(await store.getJob(tenantId, second.id)).toBeNull();
      const events = await store.readEvents({ tenantId, limit: 100 });
      expect(events.map((e) => e.jobId)).toEqual([first.id]);
    });

    it('scopes idempotency keys by tenant', async () => {
      const store = fx().port;
      const a = makeJob({ idempotencyKey: 'same-key' });
      const b = makeJob({ idempotencyKey: 'same-key' });
      expect((await store.createJob({ job: a, tasks: [], events: [] })).created).toBe(true);
      expect((await store.createJob({ job: b, tasks: [], events: [] })).created).toBe(true);
      expect(await store.getJob(b.tenantId, b.id)).toEqual(b);
    });

    it('never deduplicates jobs without an idempotency key', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      for (let i = 0; i < 3; i++) {
        const result = await store.createJob({ job: makeJob({ tenantId }), tasks: [], events: [] });
        expect(result.created).toBe(true);
      }
      expect((await store.listJobs({ tenantId, limit: 10 })).jobs).toHaveLength(3);
    });

    it('creates exactly one job when concurrent calls share an idempotency key', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const jobs = Array.from({ length: 20 }, () => makeJob({ tenantId, idempotencyKey: 'race' }));
      const results = await Promise.all(
        jobs.map((job) => store.createJob({ job, tasks: [makeTask(job)], events: [makeEvent(job)] })),
      );
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(1);
      const winner = created[0]!.snapshot.job.id;
      for (const r of results) expect(r.snapshot.job.id).toBe(winner);
      const page = await store.listJobs({ tenantId, limit: 100 });
      expect(page.jobs.map((j) => j.id)).toEqual([winner]);
      expect(await store.readEvents({ tenantId, limit: 100 })).toHaveLength(1);
    });

    it('rejects a duplicate job id with CONFLICT and keeps the stored job', async () => {
      const store = fx().port;
      const job = makeJob();
      await store.createJob({ job, tasks: [], events: [] });
      const again = { ...job, parameters: { changed: true } };
      await expectDalstonError(store.createJob({ job: again, tasks: [], events: [] }), 'CONFLICT');
      expect(await store.getJob(job.tenantId, job.id)).toEqual(job);
    });

    it('rejects a duplicate task id with CONFLICT and writes nothing', async () => {
      const store = fx().port;
      const first = makeJob();
      const task = makeTask(first);
      await store.createJob({ job: first, tasks: [task], events: [] });
      const second = makeJob();
      const clash = { ...makeTask(second), id: task.id };
      await expectDalstonError(
        store.createJob({ job: second, tasks: [makeTask(second), clash], events: [makeEvent(second)] }),
        'CONFLICT',
      );
      expect(await store.getSnapshot(null, second.id)).toBeNull();
      expect(await store.readEvents({ tenantId: second.tenantId, limit: 10 })).toEqual([]);
      expect((await store.getSnapshot(null, first.id))?.tasks).toEqual([task]);
    });

    it('stores copies: later changes to inputs or returned objects do not leak in', async () => {
      const store = fx().port;
      const job = makeJob({ parameters: { nested: { list: [1, 2] } } });
      const task = makeTask(job, { input: { a: 1 } });
      const expected = structuredClone({ job, tasks: [task] });
      const result = await store.createJob({ job, tasks: [task], events: [] });
      (job.parameters.nested as { list: number[] }).list.push(3);
      task.status = 'completed';
      result.snapshot.job.status = 'failed';
      result.snapshot.tasks[0]!.attempt = 99;
      const read = await store.getJob(job.tenantId, job.id);
      read!.parameters.injected = true;
      expect(await store.getSnapshot(null, job.id)).toEqual(expected);
    });

    it('round-trips hostile strings exactly in parameters, inputs, payloads and keys', async () => {
      const store = fx().port;
      const hostile = hostileObject();
      const job = makeJob({
        parameters: { hostile, list: [...HOSTILE_STRINGS] },
        input: `memory://bucket/${HOSTILE_STRINGS[2]}`,
        idempotencyKey: "'; DROP TABLE jobs; -- 🎉",
        correlationId: HOSTILE_STRINGS[3]!,
        error: { code: 'X', message: HOSTILE_STRINGS[9]! },
      });
      const task = makeTask(job, { stage: "stage '; --", queue: 'q "🎉"', input: hostile });
      const event = makeEvent(job, { payload: { hostile } });
      const result = await store.createJob({ job, tasks: [task], events: [event] });
      expect(result.created).toBe(true);
      expect(await store.getSnapshot(job.tenantId, job.id)).toEqual({ job, tasks: [task] });
      const [read] = await store.readEvents({ tenantId: job.tenantId, limit: 10 });
      expect(read?.payload).toEqual({ hostile });
      const again = await store.createJob({
        job: makeJob({ tenantId: job.tenantId, idempotencyKey: job.idempotencyKey }),
        tasks: [],
        events: [],
      });
      expect(again.created).toBe(false);
    });

    it('round-trips a hostile tenant id', async () => {
      const store = fx().port;
      const tenantId = `tenant '; DROP TABLE x; -- ${newTenantId()} 日本 🎉`;
      const job = makeJob({ tenantId });
      await store.createJob({ job, tasks: [makeTask(job)], events: [makeEvent(job)] });
      expect(await store.getJob(tenantId, job.id)).toEqual(job);
      expect((await store.listJobs({ tenantId, limit: 5 })).jobs).toEqual([job]);
      expect(await store.readEvents({ tenantId, limit: 5 })).toHaveLength(1);
    });

    it('round-trips JSON values of every kind', async () => {
      const store = fx().port;
      const parameters = {
        int: 42,
        negative: -7,
        fraction: 0.5,
        big: 9007199254740991,
        yes: true,
        no: false,
        nothing: null,
        emptyObject: {},
        emptyArray: [],
        deep: { a: [{ b: [[1, 'two', null, { c: false }]] }] },
      };
      const job = makeJob({ parameters });
      const task = makeTask(job, { input: [1, 'a', { b: null }], output: 'plain string' });
      await store.createJob({ job, tasks: [task], events: [makeEvent(job, { payload: parameters })] });
      expect(await store.getSnapshot(null, job.id)).toEqual({ job, tasks: [task] });
      const [event] = await store.readEvents({ tenantId: job.tenantId, limit: 1 });
      expect(event?.payload).toEqual(parameters);
    });

    it('appends events that belong to no job, with increasing ids', async () => {
      const store = fx().port;
      const job = makeJob();
      const created = await store.createJob({ job, tasks: [], events: [makeEvent(job)] });
      const sessionEvents = [
        makeSessionEvent(job.tenantId, { payload: { hostile: hostileObject() } }),
        makeSessionEvent(job.tenantId, { type: 'session.ended' }),
      ];
      const appended = await store.appendEvents(sessionEvents);
      expect(appended.map(({ id: _id, ...rest }) => rest)).toEqual(sessionEvents);
      const firstId = created.created ? created.events[0]!.id : 0;
      expect(appended[0]!.id).toBeGreaterThan(firstId);
      expect(appended[1]!.id).toBeGreaterThan(appended[0]!.id);
      expect(await store.readEvents({ tenantId: job.tenantId, after: firstId, limit: 10 })).toEqual(appended);
      expect(await store.appendEvents([])).toEqual([]);
    });

    it('rejects appended events that name a job with VALIDATION_FAILED and writes none of them', async () => {
      const store = fx().port;
      const job = makeJob();
      await store.createJob({ job, tasks: [], events: [] });
      await expectDalstonError(
        store.appendEvents([makeSessionEvent(job.tenantId), makeEvent(job, { type: 'task.progress' })]),
        'VALIDATION_FAILED',
      );
      expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toEqual([]);
    });

    it('answers ping and closes idempotently', async () => {
      const store = fx().port;
      await expect(store.ping()).resolves.toBeUndefined();
      expect(typeof store.capabilities.exclusiveEndsWithConnection).toBe('boolean');
      await store.close();
      await store.close();
    });
  });

  describe(`${name}: JobStore getJobByIdempotencyKey`, () => {
    const fx = useFixture(factory);

    it('finds the job created with the key, and null for a key never used', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const job = makeJob({ tenantId, idempotencyKey: 'upload-7' });
      await store.createJob({ job, tasks: [makeTask(job)], events: [makeEvent(job)] });
      await store.createJob({ job: makeJob({ tenantId }), tasks: [], events: [] });
      expect(await store.getJobByIdempotencyKey(tenantId, 'upload-7')).toEqual(job);
      expect(await store.getJobByIdempotencyKey(tenantId, 'upload-8')).toBeNull();
      expect(await store.getJobByIdempotencyKey(newTenantId(), 'upload-7')).toBeNull();
    });

    it("reads another tenant's job with the same key as null, and each tenant's own as its own", async () => {
      const store = fx().port;
      const mine = makeJob({ idempotencyKey: 'shared' });
      const theirs = makeJob({ idempotencyKey: 'shared' });
      await store.createJob({ job: theirs, tasks: [], events: [] });
      expect(await store.getJobByIdempotencyKey(mine.tenantId, 'shared')).toBeNull();
      await store.createJob({ job: mine, tasks: [], events: [] });
      expect(await store.getJobByIdempotencyKey(mine.tenantId, 'shared')).toEqual(mine);
      expect(await store.getJobByIdempotencyKey(theirs.tenantId, 'shared')).toEqual(theirs);
    });

    it('returns the current state, as a copy, and null once the job is deleted', async () => {
      const store = fx().port;
      const job = makeJob({ idempotencyKey: 'k' });
      await store.createJob({ job, tasks: [], events: [] });
      await store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'completed', finishedAt: job.createdAt + 1 }),
        tasks: [],
        events: [],
      }));
      const current = { ...job, status: 'completed', finishedAt: job.createdAt + 1, version: 2 };
      const found = await store.getJobByIdempotencyKey(job.tenantId, 'k');
      expect(found).toEqual(current);
      found!.status = 'failed';
      found!.parameters.language = 'xx';
      expect(await store.getJobByIdempotencyKey(job.tenantId, 'k')).toEqual(current);
      expect(await store.deleteJob(job.tenantId, job.id)).toBe(true);
      expect(await store.getJobByIdempotencyKey(job.tenantId, 'k')).toBeNull();
    });

    it('matches the key exactly, whatever characters it holds', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const keys = ["'; DROP TABLE jobs; --", '%_ wildcards', 'Key', 'key', ' key ', 'emoji 🎉'];
      const jobs = keys.map((idempotencyKey) => makeJob({ tenantId, idempotencyKey }));
      for (const job of jobs) await store.createJob({ job, tasks: [], events: [] });
      for (const job of jobs) {
        expect((await store.getJobByIdempotencyKey(tenantId, job.idempotencyKey!))?.id).toBe(job.id);
      }
      expect(await store.getJobByIdempotencyKey(tenantId, '%')).toBeNull();
      expect(await store.getJobByIdempotencyKey(tenantId, 'KEY')).toBeNull();
    });
  });
}
