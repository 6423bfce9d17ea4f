/** Memory-only JobStore behaviour the contract cannot express (clock control, close semantics, cursor format). */
import { DalstonError, guardPortNamed, isDalstonError, ManualClock } from '@dalston/core/adapter';
import { jobWrite, makeEvent, makeJob, makeTask } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../src/job-store.js';

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: unknown) => (isDalstonError(e) ? e.code : `not a DalstonError: ${String(e)}`),
  );

describe('MemoryJobStore (memory-specific)', () => {
  it('rejects every call after close with CLOSED, and close stays idempotent', async () => {
    const store = new MemoryJobStore({ clock: new ManualClock() });
    const job = makeJob();
    await store.close();
    await store.close();
    const calls: Array<Promise<unknown>> = [
      store.ping(),
      store.createJob({ job, tasks: [], events: [] }),
      store.getJob(job.tenantId, job.id),
      store.getSnapshot(null, job.id),
      store.updateJob(job.id, () => null),
      store.extendLease('t', 1, 'x', 1),
      store.appendEvents([]),
      store.listJobs({ tenantId: job.tenantId, limit: 1 }),
      store.readEvents({ tenantId: job.tenantId, limit: 1 }),
      store.unpublishedEvents(0, 1),
      store.markPublished([1]),
      store.findReadyTasks(1),
      store.findExpiredLeases(0, 1),
      store.nonTerminalJobIds(job.tenantId),
      store.tenantsWithActiveJobs(),
      store.findJobsDueForPurge(0, 1),
      store.markPurged(job.id, 0),
      store.deleteJob(job.tenantId, job.id),
      store.existingJobIds([job.id]),
      store.exclusive('x', { ttlMs: 10 }, async () => 1),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('CLOSED');
  });

  it('rejects updates that have not entered their critical section when the store closes', async () => {
    const store = new MemoryJobStore();
    const job = makeJob();
    await store.createJob({ job, tasks: [], events: [] });
    const first = codeOf(store.updateJob(job.id, (s) => ({ job: jobWrite(s.job), tasks: [], events: [] })));
    const queued = codeOf(store.updateJob(job.id, (s) => ({ job: jobWrite(s.job), tasks: [], events: [] })));
    await store.close();
    expect([await first, await queued]).toEqual(['CLOSED', 'CLOSED']);
  });

  it('encodes the listJobs cursor as base64url of createdAt:id', async () => {
    const store = new MemoryJobStore();
    const tenantId = 't-cursor';
    const jobs = [makeJob({ tenantId, createdAt: 1000 }), makeJob({ tenantId, createdAt: 2000 })];
    for (const job of jobs) await store.createJob({ job, tasks: [], events: [] });
    const page = await store.listJobs({ tenantId, limit: 1 });
    expect(Buffer.from(page.nextCursor!, 'base64url').toString()).toBe(`2000:${jobs[1]!.id}`);
  });

  it('ends exclusivity exactly ttlMs after it was taken, on the injected clock', async () => {
    const clock = new ManualClock();
    const store = new MemoryJobStore({ clock });
    let release!: () => void;
    const holder = store.exclusive('pass', { ttlMs: 1000 }, () => new Promise<void>((r) => (release = r)));
    await clock.advance(999);
    expect(await store.exclusive('pass', { ttlMs: 1000 }, async () => 1)).toEqual({ ran: false });
    await clock.advance(1);
    expect(await store.exclusive('pass', { ttlMs: 1000 }, async () => 2)).toEqual({ ran: true, value: 2 });
    release();
    await holder;
  });

  it("behind core's guard, rejects a non-positive exclusivity TTL with VALIDATION_FAILED", async () => {
    const store = guardPortNamed('jobStore', new MemoryJobStore());
    expect(await codeOf(store.exclusive('pass', { ttlMs: 0 }, async () => 1))).toBe('VALIDATION_FAILED');
  });

  it('wraps an error thrown by decide as a DalstonError keeping the cause', async () => {
    const store = new MemoryJobStore();
    const job = makeJob();
    await store.createJob({ job, tasks: [makeTask(job)], events: [makeEvent(job)] });
    const boom = new Error('boom');
    const error: unknown = await store
      .updateJob(job.id, () => {
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DalstonError);
    expect((error as DalstonError).cause).toBe(boom);
  });

  it('bumps the job version when marking it purged, so a stale job write conflicts', async () => {
    const store = new MemoryJobStore();
    const job = makeJob({ status: 'failed', purgeAfter: 0 });
    await store.createJob({ job, tasks: [], events: [] });
    expect(await store.markPurged(job.id, 5)).toBe(true);
    const stale = await store.updateJob(job.id, () => ({
      job: jobWrite(job, { status: 'running' }),
      tasks: [],
      events: [],
    }));
    expect(stale).toEqual({ applied: false, reason: 'conflict' });
  });
});
