/**
 * The memory JobStore's indexes (events by job, tenant and publication; jobs by tenant in
 * list order) against a reference that scans plain arrays, over random operations: every
 * query after every operation must give the reference's answer, so a stale index fails.
 */
import type { DalstonEvent, Job, JobStatus } from '@dalston/core/adapter';
import { jobWrite, makeEvent, makeJob, makeSessionEvent } from '@dalston/core/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../src/job-store.js';

const TENANTS = ['t-a', 't-b'];

type Op =
  | { kind: 'create'; tenant: number; createdAt: number; events: number[] }
  | { kind: 'finish'; pick: number; status: JobStatus; at: number }
  | { kind: 'sessionEvent'; tenant: number; at: number }
  | { kind: 'delete'; pick: number }
  | { kind: 'publish'; picks: number[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    tenant: fc.nat(1),
    createdAt: fc.integer({ min: 1, max: 6 }),
    events: fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('finish' as const),
    pick: fc.nat(),
    status: fc.constantFrom<JobStatus>('completed', 'failed', 'running'),
    at: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({
    kind: fc.constant('sessionEvent' as const),
    tenant: fc.nat(1),
    at: fc.integer({ min: 1, max: 9 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('publish' as const), picks: fc.array(fc.nat(), { maxLength: 4 }) }),
);

/** The reference: everything in plain arrays, every query a full scan. */
class Reference {
  jobs: Job[] = [];
  events: Array<{ event: DalstonEvent; published: boolean }> = [];

  readEvents(tenantId: string, jobId: string | undefined, after: number, limit: number): DalstonEvent[] {
    return this.events
      .map((e) => e.event)
      .filter((e) => e.tenantId === tenantId && (jobId === undefined || e.jobId === jobId) && e.id > after)
      .slice(0, limit);
  }

  unpublished(before: number, limit: number): DalstonEvent[] {
    return this.events
      .filter((e) => !e.published && e.event.at <= before)
      .map((e) => e.event)
      .slice(0, limit);
  }

  list(tenantId: string, statuses: JobStatus[] | null, from?: number, to?: number): string[] {
    return this.jobs
      .filter(
        (j) =>
          j.tenantId === tenantId &&
          (statuses === null || statuses.includes(j.status)) &&
          (from === undefined || j.createdAt >= from) &&
          (to === undefined || j.createdAt < to),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((j) => j.id);
  }
}

async function apply(store: MemoryJobStore, ref: Reference, op: Op): Promise<void> {
  const pickJob = (n: number) => (ref.jobs.length === 0 ? undefined : ref.jobs[n % ref.jobs.length]!);
  if (op.kind === 'create') {
    const job = makeJob({ tenantId: TENANTS[op.tenant]!, createdAt: op.createdAt });
    const r = await store.createJob({
      job,
      tasks: [],
      events: op.events.map((at) => makeEvent(job, { at })),
    });
    if (!r.created) throw new Error('not created');
    ref.jobs.push(r.snapshot.job);
    for (const event of r.events) ref.events.push({ event, published: false });
  } else if (op.kind === 'finish') {
    const job = pickJob(op.pick);
    if (job?.status !== 'pending') return;
    const r = await store.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { status: op.status }),
      tasks: [],
      events: [makeEvent(s.job, { type: 'job.completed', at: op.at })],
    }));
    if (!r.applied) throw new Error(`not applied: ${r.reason}`);
    ref.jobs[ref.jobs.indexOf(job)] = r.snapshot.job;
    for (const event of r.events) ref.events.push({ event, published: false });
  } else if (op.kind === 'sessionEvent') {
    const [event] = await store.appendEvents([makeSessionEvent(TENANTS[op.tenant]!, { at: op.at })]);
    ref.events.push({ event: event!, published: false });
  } else if (op.kind === 'delete') {
    const job = pickJob(op.pick);
    if (!job || job.status === 'pending' || job.status === 'running') return;
    expect(await store.deleteJob(job.tenantId, job.id)).toBe(true);
    ref.jobs = ref.jobs.filter((j) => j !== job);
    ref.events = ref.events.filter((e) => e.event.jobId !== job.id);
  } else {
    const ids = op.picks.map((n) => ref.events[n % Math.max(1, ref.events.length)]?.event.id ?? 9999);
    await store.markPublished(ids);
    for (const e of ref.events) if (ids.includes(e.event.id)) e.published = true;
  }
}

async function listAll(
  store: MemoryJobStore,
  tenantId: string,
  limit: number,
  statuses: JobStatus[] | null,
  from?: number,
  to?: number,
) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listJobs({
      tenantId,
      limit,
      ...(statuses ? { status: statuses } : {}),
      ...(from !== undefined ? { createdFrom: from } : {}),
      ...(to !== undefined ? { createdTo: to } : {}),
      ...(cursor ? { cursor } : {}),
    });
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    ids.push(...page.jobs.map((j) => j.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

async function compare(store: MemoryJobStore, ref: Reference, q: Query): Promise<void> {
  const tenantId = TENANTS[q.tenant]!;
  const job = ref.jobs.length > 0 && q.byJob ? ref.jobs[q.pick % ref.jobs.length]!.id : undefined;
  expect(
    await store.readEvents({ tenantId, ...(job ? { jobId: job } : {}), after: q.after, limit: q.limit }),
  ).toEqual(ref.readEvents(tenantId, job, q.after, q.limit));
  expect(await store.unpublishedEvents(q.before, q.limit)).toEqual(ref.unpublished(q.before, q.limit));
  expect(await listAll(store, tenantId, q.limit, q.statuses, q.from, q.to)).toEqual(
    ref.list(tenantId, q.statuses, q.from, q.to),
  );
}

interface Query {
  tenant: number;
  byJob: boolean;
  pick: number;
  after: number;
  limit: number;
  before: number;
  statuses: JobStatus[] | null;
  from?: number;
  to?: number;
}

const queryArb: fc.Arbitrary<Query> = fc.record(
  {
    tenant: fc.nat(1),
    byJob: fc.boolean(),
    pick: fc.nat(),
    after: fc.integer({ min: 0, max: 30 }),
    limit: fc.integer({ min: 1, max: 4 }),
    before: fc.integer({ min: 0, max: 10 }),
    statuses: fc.option(
      fc.subarray<JobStatus>(['pending', 'running', 'completed', 'failed'], { minLength: 1 }),
      {
        nil: null,
      },
    ),
    from: fc.integer({ min: 0, max: 7 }),
    to: fc.integer({ min: 0, max: 7 }),
  },
  { requiredKeys: ['tenant', 'byJob', 'pick', 'after', 'limit', 'before', 'statuses'] },
);

describe('MemoryJobStore indexes', () => {
  it('answer readEvents, unpublishedEvents and listJobs like a full scan after any operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(opArb, queryArb), { maxLength: 30 }), async (steps) => {
        const store = new MemoryJobStore();
        const ref = new Reference();
        for (const [op, query] of steps) {
          await apply(store, ref, op);
          await compare(store, ref, query);
        }
      }),
      { numRuns: 200 },
    );
  });
});
