/**
 * JobStore contract: listing jobs (newest first, keyset pages, filters, tenant scoping,
 * argument validation) and reading the event log after a cursor.
 */
import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../domain/job.js';
import type { JobStore, ListJobsQuery } from '../ports/job-store.js';
import { jobWrite, makeEvent, makeJob, makeSessionEvent, newTenantId } from './builders.js';
import type { PortFactory } from './fixture.js';
import { expectDalstonError, useFixture } from './store-helpers.js';

const T0 = Date.UTC(2026, 0, 1);

async function seedJobs(store: JobStore, tenantId: string, specs: Array<Partial<Job>>): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const spec of specs) {
    const job = makeJob({ tenantId, ...spec });
    await store.createJob({ job, tasks: [], events: [] });
    jobs.push(job);
  }
  return jobs;
}

/** createdAt desc, then id desc (ids compare byte-wise). */
const newestFirst = (a: Job, b: Job) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

async function allPages(store: JobStore, tenantId: string, limit: number, extra: object = {}) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listJobs({ tenantId, limit, cursor, ...extra });
    pages.push(page.jobs.map((j) => j.id));
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 50);
  return pages;
}

export function jobStoreQueriesContract(name: string, factory: PortFactory<JobStore>): void {
  describe(`${name}: JobStore listJobs`, () => {
    const fx = useFixture(factory);

    it('lists newest first, breaking createdAt ties by id descending', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const jobs = await seedJobs(store, tenantId, [
        { createdAt: T0 + 10 },
        { createdAt: T0 + 30 },
        { createdAt: T0 + 20 },
        { createdAt: T0 + 20 },
        { createdAt: T0 + 20 },
      ]);
      const page = await store.listJobs({ tenantId, limit: 10 });
      expect(page.jobs).toEqual([...jobs].sort(newestFirst));
      expect(page.nextCursor).toBeNull();
    });

    it('pages with a keyset cursor, without gaps or repeats, null after the last page', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const specs = Array.from({ length: 7 }, (_, i) => ({ createdAt: T0 + Math.floor(i / 2) }));
      const jobs = await seedJobs(store, tenantId, specs);
      const pages = await allPages(store, tenantId, 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual([...jobs].sort(newestFirst).map((j) => j.id));
    });

    it('returns a null cursor on a full last page', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      await seedJobs(
        store,
        tenantId,
        Array.from({ length: 4 }, (_, i) => ({ createdAt: T0 + i })),
      );
      const pages = await allPages(store, tenantId, 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
    });

    it('keeps paging stable while newer jobs arrive', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const jobs = await seedJobs(
        store,
        tenantId,
        Array.from({ length: 4 }, (_, i) => ({ createdAt: T0 + i })),
      );
      const first = await store.listJobs({ tenantId, limit: 2 });
      await seedJobs(store, tenantId, [{ createdAt: T0 + 100 }]);
      const second = await store.listJobs({ tenantId, limit: 2, cursor: first.nextCursor });
      const expected = [...jobs].sort(newestFirst).map((j) => j.id);
      expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual(expected);
      expect(second.nextCursor).toBeNull();
    });

    it('filters by status', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const statuses: JobStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelling', 'cancelled'];
      const jobs = await seedJobs(
        store,
        tenantId,
        statuses.map((status, i) => ({ status, createdAt: T0 + i })),
      );
      const page = await store.listJobs({ tenantId, limit: 10, status: ['completed', 'failed'] });
      expect(page.jobs.map((j) => j.status)).toEqual(['failed', 'completed']);
      const one = await store.listJobs({ tenantId, limit: 10, status: ['running'] });
      expect(one.jobs).toEqual([jobs[1]]);
    });

    it('filters by type (one or several), also with status', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const a = makeJob({ tenantId, type: 'transcribe', createdAt: T0 + 1 });
      const b = makeJob({ tenantId, type: 'export', createdAt: T0 + 2 });
      const c = makeJob({ tenantId, type: 'transcribe', status: 'completed', createdAt: T0 + 3 });
      for (const job of [a, b, c]) await store.createJob({ job, tasks: [], events: [] });
      const ids = async (extra: Partial<ListJobsQuery>) =>
        (await store.listJobs({ tenantId, limit: 10, ...extra })).jobs.map((j) => j.id);
      expect(await ids({ type: ['transcribe'] })).toEqual([c.id, a.id]);
      expect(await ids({ type: ['export', 'transcribe'] })).toEqual([c.id, b.id, a.id]);
      expect(await ids({ type: ['transcribe'], status: ['pending'] })).toEqual([a.id]);
      expect(await ids({ type: ['none'] })).toEqual([]);
      expect(await ids({ type: [] })).toHaveLength(3);
      expect((await store.getJob(tenantId, b.id))?.type).toBe('export');
    });

    it('filters by creation time: createdFrom inclusive, createdTo exclusive', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const jobs = await seedJobs(
        store,
        tenantId,
        [0, 100, 200, 300].map((d) => ({ createdAt: T0 + d })),
      );
      const page = await store.listJobs({ tenantId, limit: 10, createdFrom: T0 + 100, createdTo: T0 + 300 });
      expect(page.jobs.map((j) => j.id)).toEqual([jobs[2]!.id, jobs[1]!.id]);
      const from = await store.listJobs({ tenantId, limit: 10, createdFrom: T0 + 300 });
      expect(from.jobs.map((j) => j.id)).toEqual([jobs[3]!.id]);
      const to = await store.listJobs({ tenantId, limit: 10, createdTo: T0 + 1 });
      expect(to.jobs.map((j) => j.id)).toEqual([jobs[0]!.id]);
    });

    it('combines filters with pagination', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const jobs = await seedJobs(
        store,
        tenantId,
        Array.from({ length: 10 }, (_, i) => ({
          createdAt: T0 + i,
          status: i % 2 ? 'completed' : 'pending',
        })),
      );
      const pages = await allPages(store, tenantId, 2, { status: ['completed'], createdFrom: T0 + 2 });
      const expected = jobs
        .filter((j) => j.status === 'completed' && j.createdAt >= T0 + 2)
        .sort(newestFirst);
      expect(pages.flat()).toEqual(expected.map((j) => j.id));
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
    });

    it("never lists another tenant's jobs", async () => {
      const store = fx().port;
      const mine = newTenantId();
      const theirs = newTenantId();
      const [job] = await seedJobs(store, mine, [{ createdAt: T0 }]);
      await seedJobs(store, theirs, [{ createdAt: T0 + 1 }, { createdAt: T0 - 1 }]);
      expect((await store.listJobs({ tenantId: mine, limit: 10 })).jobs).toEqual([job]);
      expect(await store.listJobs({ tenantId: newTenantId(), limit: 10 })).toEqual({
        jobs: [],
        nextCursor: null,
      });
    });

    it('reflects updates in listed jobs', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const [job] = await seedJobs(store, tenantId, [{}]);
      await store.updateJob(job!.id, (s) => ({
        job: jobWrite(s.job, { status: 'running' }),
        tasks: [],
        events: [],
      }));
      const page = await store.listJobs({ tenantId, limit: 10, status: ['running'] });
      expect(page.jobs.map((j) => [j.id, j.status, j.version])).toEqual([[job!.id, 'running', 2]]);
    });

    for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
      it(`rejects limit ${limit} with VALIDATION_FAILED on field limit`, async () => {
        const store = fx().port;
        await expectDalstonError(
          store.listJobs({ tenantId: newTenantId(), limit }),
          'VALIDATION_FAILED',
          'limit',
        );
      });
    }

    it('accepts the limits 1 and 1000', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      await seedJobs(store, tenantId, [{ createdAt: T0 }, { createdAt: T0 + 1 }]);
      expect((await store.listJobs({ tenantId, limit: 1 })).jobs).toHaveLength(1);
      expect((await store.listJobs({ tenantId, limit: 1000 })).jobs).toHaveLength(2);
    });

    const malformed = [
      'not a cursor!',
      "'; DROP TABLE jobs; --",
      Buffer.from('no-colon-here').toString('base64url'),
      Buffer.from('abc:job_1').toString('base64url'),
      Buffer.from(':job_1').toString('base64url'),
      '🎉',
    ];
    for (const cursor of malformed) {
      it(`rejects the malformed cursor ${JSON.stringify(cursor)} with VALIDATION_FAILED on field cursor`, async () => {
        const store = fx().port;
        await expectDalstonError(
          store.listJobs({ tenantId: newTenantId(), limit: 10, cursor }),
          'VALIDATION_FAILED',
          'cursor',
        );
      });
    }
  });

  describe(`${name}: JobStore readEvents`, () => {
    const fx = useFixture(factory);

    async function seedEvents(store: JobStore, tenantId: string) {
      const a = makeJob({ tenantId });
      const b = makeJob({ tenantId });
      await store.createJob({
        job: a,
        tasks: [],
        events: [makeEvent(a), makeEvent(a, { type: 'job.started' })],
      });
      await store.createJob({ job: b, tasks: [], events: [makeEvent(b)] });
      await store.updateJob(a.id, () => ({
        job: null,
        tasks: [],
        events: [makeEvent(a, { type: 'job.completed' })],
      }));
      await store.appendEvents([makeSessionEvent(tenantId)]);
      return { a, b, all: await store.readEvents({ tenantId, limit: 100 }) };
    }

    it("reads a tenant's events in id order, jobs and sessions alike", async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { a, b, all } = await seedEvents(store, tenantId);
      expect(all.map((e) => [e.jobId, e.type])).toEqual([
        [a.id, 'job.created'],
        [a.id, 'job.started'],
        [b.id, 'job.created'],
        [a.id, 'job.completed'],
        [null, 'session.started'],
      ]);
      const ids = all.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    });

    it("filters by job and never returns another tenant's events", async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { a, all } = await seedEvents(store, tenantId);
      const ofA = await store.readEvents({ tenantId, jobId: a.id, limit: 100 });
      expect(ofA).toEqual(all.filter((e) => e.jobId === a.id));
      expect(await store.readEvents({ tenantId: newTenantId(), jobId: a.id, limit: 100 })).toEqual([]);
      await seedEvents(store, newTenantId());
      expect(await store.readEvents({ tenantId, limit: 100 })).toEqual(all);
    });

    it('resumes after a cursor and honours the limit', async () => {
      const store = fx().port;
      const tenantId = newTenantId();
      const { a, all } = await seedEvents(store, tenantId);
      expect(await store.readEvents({ tenantId, after: all[1]!.id, limit: 100 })).toEqual(all.slice(2));
      expect(await store.readEvents({ tenantId, after: all[0]!.id, limit: 2 })).toEqual(all.slice(1, 3));
      expect(await store.readEvents({ tenantId, after: all[4]!.id, limit: 10 })).toEqual([]);
      const ofA = all.filter((e) => e.jobId === a.id);
      expect(await store.readEvents({ tenantId, jobId: a.id, after: ofA[0]!.id, limit: 1 })).toEqual([
        ofA[1],
      ]);
      let cursor = 0;
      const walked = [];
      for (;;) {
        const page = await store.readEvents({ tenantId, after: cursor, limit: 2 });
        if (page.length === 0) break;
        walked.push(...page);
        cursor = page[page.length - 1]!.id;
      }
      expect(walked).toEqual(all);
    });

    it('rejects a limit outside 1..1000 with VALIDATION_FAILED', async () => {
      const store = fx().port;
      await expectDalstonError(store.readEvents({ tenantId: newTenantId(), limit: 0 }), 'VALIDATION_FAILED');
      await expectDalstonError(
        store.readEvents({ tenantId: newTenantId(), limit: 1001 }),
        'VALIDATION_FAILED',
      );
    });
  });
}
