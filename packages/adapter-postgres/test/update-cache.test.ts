/**
 * updateJob decides on the state this store wrote last (no read) only while that state is
 * the committed one: a write by another store instance (another process) — an update, an
 * extended lease, a purge mark — raises the job's rev, the apply answers 'stale', and
 * decide runs again on a fresh read. Never a decision applied on an older state.
 */
import { jobWrite, makeEvent, makeJob, makeTask, taskWrite } from '@dalston/core/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJobStore } from '../src/job-store.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('update_cache');
let a: PostgresJobStore;
let b: PostgresJobStore;
beforeAll(() => {
  a = new PostgresJobStore(db.options());
  b = new PostgresJobStore(db.options());
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function seed() {
  const job = makeJob();
  const tasks = [makeTask(job, { stage: 'a', status: 'ready' })];
  await a.createJob({ job, tasks, events: [makeEvent(job)] });
  return job;
}

describe('postgres: updateJob on the state of its own last write', () => {
  it('a change by another instance in between is seen: decide runs again on the committed state', async () => {
    const job = await seed();
    await b.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { correlationId: 'by-b' }),
      tasks: [],
      events: [],
    }));
    const seen: string[] = [];
    const r = await a.updateJob(job.id, (s) => {
      seen.push(s.job.correlationId);
      return { job: jobWrite(s.job, { status: 'running' }), tasks: [], events: [] };
    });
    expect(r.applied).toBe(true);
    expect(seen).toEqual([job.correlationId, 'by-b']); // the cached state, refused; then the fresh one
    const after = await a.getJob(job.tenantId, job.id);
    expect(after).toMatchObject({ status: 'running', correlationId: 'by-b', version: job.version + 2 });
  });

  it('a lease extended by another instance is seen before a decision on the lease', async () => {
    const job = await seed();
    const started = await a.updateJob(job.id, (s) => ({
      job: null,
      tasks: [
        taskWrite(s.tasks[0]!, { status: 'running', attempt: 1, leaseToken: 'L', leaseExpiresAt: 1000 }),
      ],
      events: [],
    }));
    expect(started.applied).toBe(true);
    const taskId = started.applied ? started.snapshot.tasks[0]!.id : '';
    expect(await b.extendLease(taskId, 1, 'L', 5000)).toBe(true);
    const leases: (number | null)[] = [];
    await a.updateJob(job.id, (s) => {
      leases.push(s.tasks[0]!.leaseExpiresAt);
      return { job: null, tasks: [], events: [makeEvent(job, { type: 'task.progress', taskId })] };
    });
    expect(leases).toEqual([1000, 5000]);
  });

  it('no_change decided on its own state is checked against the committed state', async () => {
    const job = await seed();
    await b.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { status: 'running' }),
      tasks: [],
      events: [],
    }));
    const r = await a.updateJob(job.id, (s) =>
      s.job.status === 'running'
        ? { job: jobWrite(s.job, { status: 'completed' }), tasks: [], events: [] }
        : null,
    );
    expect(r.applied).toBe(true);
    expect((await a.getJob(job.tenantId, job.id))?.status).toBe('completed');
  });
});

describe('postgres: peekSnapshot', () => {
  it('serves this store’s own last write without a read, and may lag another instance until its next write', async () => {
    const job = await seed();
    expect(await a.peekSnapshot(job.id)).toEqual(await a.getSnapshot(null, job.id));
    await b.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { correlationId: 'by-b' }),
      tasks: [],
      events: [],
    }));
    // The lag the port allows: a's state from its createJob, not b's write...
    expect((await a.peekSnapshot(job.id))?.job.correlationId).toBe(job.correlationId);
    // ...which a decision through a still sees (the cached try is refused as stale)...
    await a.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { status: 'running' }),
      tasks: [],
      events: [],
    }));
    // ...and after it a's peek is the committed state again.
    const peeked = await a.peekSnapshot(job.id);
    expect(peeked).toEqual(await b.getSnapshot(null, job.id));
    expect(peeked?.job).toMatchObject({ status: 'running', correlationId: 'by-b' });
  });

  it('reads a job it never wrote (and keeps it), null for an unknown or impossible id', async () => {
    const job = await seed();
    const peeked = await b.peekSnapshot(job.id);
    expect(peeked).toEqual(await a.getSnapshot(null, job.id));
    expect(await b.peekSnapshot('no-such-job')).toBeNull();
    expect(await b.peekSnapshot('bad\u0000id')).toBeNull();
  });

  it('returns copies: changing what it returned changes neither the store nor its next peek', async () => {
    const job = await seed();
    const first = await a.peekSnapshot(job.id);
    first!.job.correlationId = 'mutated';
    first!.tasks[0]!.stage = 'mutated';
    const again = await a.peekSnapshot(job.id);
    expect(again?.job.correlationId).toBe(job.correlationId);
    expect(again?.tasks[0]?.stage).toBe('a');
  });
});

describe('postgres: the cached state keeps JSON exactly', () => {
  it('a "__proto__" key in a task output stays an own key through the cache (peek, decide)', async () => {
    const job = await seed();
    const output = JSON.parse('{"__proto__":{"polluted":true},"a":[1,{"b":null}]}');
    const r = await a.updateJob(job.id, (s) => ({
      job: null,
      tasks: [taskWrite(s.tasks[0]!, { output })],
      events: [],
    }));
    expect(r.applied).toBe(true);
    const peeked = await a.peekSnapshot(job.id);
    const seen = peeked!.tasks[0]!.output as Record<string, unknown>;
    expect(Object.keys(seen).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(seen)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(seen))).toEqual(
      JSON.parse('{"__proto__":{"polluted":true},"a":[1,{"b":null}]}'),
    );
    // decide on the cached state (a no_change is then decided again on a read: jsonb orders keys its own way)
    const decided: string[][] = [];
    await a.updateJob(job.id, (s) => {
      decided.push(Object.keys(s.tasks[0]!.output as object).sort());
      return null;
    });
    expect(decided).toEqual([
      ['__proto__', 'a'],
      ['__proto__', 'a'],
    ]);
    expect(peeked).toEqual(await b.getSnapshot(null, job.id));
  });
});
