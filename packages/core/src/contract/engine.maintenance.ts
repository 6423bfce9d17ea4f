/**
 * Whole-engine contract, maintenance passes of any size: each pass pages past its first
 * page (1,200 active sessions ahead of an expired one, 2,500 dead letters, 250 jobs due for
 * purge, 1,200 ready tasks), reconcile's re-enqueue costs what changed (not the backlog)
 * and re-reads everything after a queue wipe or at its slow cadence, purge records
 * `job.purged`, and `start()` schedules the orphan sweep, which resumes from where its
 * budget stopped it.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonConfigInput } from '../config.js';
import { createDalston, type Dalston } from '../create-dalston.js';
import type { Job } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { JobStore } from '../ports/job-store.js';
import type { QueueMessage, WorkQueue } from '../ports/work-queue.js';
import type { DalstonAdapters } from '../services/wiring/adapters.js';
import { makeEvent, makeJob, makeSessionRecord, makeTask } from './builders.js';
import {
  type EngineFactory,
  type EngineRun,
  eventually,
  randomName,
  SUITE_CONFIG,
  withEngine,
} from './engine.harness.js';
import { liveSession } from './session-store.js';
import { makeDeadLetters } from './work-queue.dead-letters.js';

const SLOW = { timeout: 120_000 };

/** Runs `fn` over 0..count-1, `width` at a time. */
async function times(count: number, width: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

/** `count` jobs of the run's tenant created straight in the JobStore, each with `perJob` tasks. */
async function seedJobs(
  run: EngineRun,
  count: number,
  job: (i: number) => Partial<Job>,
  tasks: (job: Job) => Partial<Task>[] = () => [],
): Promise<{ job: Job; tasks: Task[] }[]> {
  const out: { job: Job; tasks: Task[] }[] = [];
  await times(count, 16, async (i) => {
    const j = makeJob({ tenantId: run.tenantId, ...job(i) });
    const ts = tasks(j).map((t, k) => makeTask(j, { stage: `s${k}`, ...t }));
    await run.adapters.jobStore.createJob({ job: j, tasks: ts, events: [makeEvent(j)] });
    out.push({ job: j, tasks: ts });
  });
  return out;
}

const messageOf = (t: Task): QueueMessage => ({
  id: `${t.id}:${t.attempt}`,
  queue: t.queue,
  taskId: t.id,
  jobId: t.jobId,
  tenantId: t.tenantId,
  attempt: t.attempt,
  priority: 0,
  notBefore: null,
  maxDeliveries: 1,
});

/** The adapter, with its lifecycle `close()` a no-op (the harness closes the real ones). */
export function borrowed<T extends object>(port: T): T {
  return new Proxy(port, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'close') return async () => undefined;
      return value.bind(target);
    },
  });
}

interface Observed {
  engine: Dalston;
  /** Ready-task rows returned by the JobStore since the last reset. */
  readyRows: number;
  /** What `workQueue.epoch()` answers: set it to simulate a wiped queue store. */
  epoch: string | null;
}

/**
 * A second engine on the run's adapters (borrowed: the harness closes them) that counts
 * ready-task reads and can fake a queue wipe; `overrides` replace adapters (wrappers).
 */
export function observedEngine(
  run: EngineRun,
  config: DalstonConfigInput,
  overrides: Partial<DalstonAdapters> = {},
): Observed {
  const observed: Observed = { engine: undefined as unknown as Dalston, readyRows: 0, epoch: null };
  const jobStore = borrowed(run.adapters.jobStore);
  const workQueue = borrowed(run.adapters.workQueue);
  const counting: JobStore = Object.assign(Object.create(jobStore) as JobStore, {
    findReadyTasks: async (...args: Parameters<JobStore['findReadyTasks']>) => {
      const rows = await jobStore.findReadyTasks(...args);
      observed.readyRows += rows.length;
      return rows;
    },
  });
  const wipeable: WorkQueue = Object.assign(Object.create(workQueue) as WorkQueue, {
    epoch: async () => observed.epoch ?? (await workQueue.epoch()),
  });
  const adapters = Object.fromEntries(
    Object.entries(run.adapters).map(([k, v]) => [k, borrowed(v as object)]),
  ) as unknown as DalstonAdapters;
  observed.engine = createDalston({
    adapters: { ...adapters, jobStore: counting, workQueue: wipeable, ...overrides },
    pipeline: { build: () => [] },
    config: { ...SUITE_CONFIG, ...config },
  });
  return observed;
}

/** `port` with `method` letting `ms` of the run's time pass after each call (a slow store). */
export function slowed<T extends object>(run: EngineRun, port: T, method: keyof T & string, ms: number): T {
  const inner = borrowed(port);
  const call = Reflect.get(inner, method) as (...args: unknown[]) => Promise<unknown>;
  return Object.assign(Object.create(inner) as T, {
    [method]: async (...args: unknown[]) => {
      const out = await call(...args);
      await run.time.advance(ms);
      return out;
    },
  });
}

export function engineMaintenanceContract(name: string, factory: EngineFactory): void {
  const pipeline = { build: () => [] };

  describe(`${name}: engine maintenance passes of any size`, () => {
    it('the session sweep closes an expired record behind 1,200 older live ones', SLOW, async () => {
      await withEngine(factory, { pipeline, tenantLimits: { concurrentSessions: 5000 } }, async (run) => {
        const now = run.time.now();
        await times(1200, 16, async (i) => {
          const record = makeSessionRecord({ tenantId: run.tenantId, startedAt: now - 60_000 + i });
          await run.adapters.sessionArchive.open(record);
          const live = liveSession(run.tenantId, now, { id: record.id, expiresAt: now + 600_000 });
          expect(await run.adapters.sessionStore.create(live, 600_000)).toBe(true);
        });
        const expired = makeSessionRecord({ tenantId: run.tenantId, startedAt: now - 30_000 });
        await run.adapters.sessionArchive.open(expired);
        expect((await run.dalston.maintenance.sweepSessions())._unsafeUnwrap()).toBeGreaterThanOrEqual(1);
        expect(await run.adapters.sessionArchive.get(run.tenantId, expired.id)).toMatchObject({
          status: 'interrupted',
        });
        expect(await run.adapters.sessionArchive.activeIds(run.tenantId)).toHaveLength(1200);
      });
    });

    it(
      '2,500 dead letters fail their tasks; then no pass reads them again; they stay listed',
      SLOW,
      async () => {
        const q = randomName('q');
        await withEngine(factory, { pipeline, config: { queues: [q] } }, async (run) => {
          const seeded = await seedJobs(
            run,
            2500,
            () => ({}),
            () => [{ queue: q, status: 'ready' }],
          );
          await makeDeadLetters(
            run.adapters.workQueue,
            run.time,
            q,
            seeded.map((s) => messageOf(s.tasks[0]!)),
          );
          let failed = 0;
          for (let pass = 0; pass < 10 && failed < 2500; pass++) {
            failed += (await run.dalston.maintenance.reconcile())._unsafeUnwrap().deadLettered;
          }
          expect(failed).toBe(2500);
          for (const s of seeded.slice(0, 50)) expect((await run.job(s.job.id)).status).toBe('failed');
          expect(await run.adapters.workQueue.unprocessedDeadLetters(q, 1000)).toEqual([]);
          expect((await run.dalston.maintenance.reconcile())._unsafeUnwrap().deadLettered).toBe(0);
          expect(await run.adapters.workQueue.stats(q)).toMatchObject({ dead: 2500 });
        });
      },
    );

    it('purge goes past one page: 250 due jobs purged, each with a job.purged event', SLOW, async () => {
      await withEngine(factory, { pipeline }, async (run) => {
        const now = run.time.now();
        const due = await seedJobs(run, 250, (i) => ({
          status: 'completed',
          finishedAt: now - 10_000,
          purgeAfter: now - 5000 + i,
        }));
        expect((await run.dalston.maintenance.purgeExpired())._unsafeUnwrap()).toBeGreaterThanOrEqual(250);
        for (const s of due.slice(0, 20)) expect((await run.job(s.job.id)).purgedAt).not.toBeNull();
        const purgedEvents = new Set<string>();
        let after: number | undefined;
        for (;;) {
          const events = await run.adapters.jobStore.readEvents({
            tenantId: run.tenantId,
            after,
            limit: 1000,
          });
          if (events.length === 0) break;
          for (const e of events) if (e.type === 'job.purged' && e.jobId) purgedEvents.add(e.jobId);
          after = events[events.length - 1]!.id;
        }
        expect(purgedEvents).toEqual(new Set(due.map((s) => s.job.id)));
        expect((await run.dalston.maintenance.purgeExpired())._unsafeUnwrap()).toBe(0);
      });
    });

    it(
      "reconcile's re-enqueue reads what changed, not the 1,200-task backlog; all of it after a wipe or at its cadence",
      SLOW,
      async () => {
        const q = randomName('q');
        await withEngine(factory, { pipeline }, async (run) => {
          const backlog = await seedJobs(
            run,
            120,
            () => ({}),
            () => Array.from({ length: 10 }, () => ({ queue: q, status: 'ready' as const })),
          );
          const o = observedEngine(run, { requeueFullSweepMs: 5000 });
          try {
            const requeue = async () => {
              o.readyRows = 0;
              return (await o.engine.maintenance.reconcile())._unsafeUnwrap().requeued;
            };
            /**
             * Passes until one reads fewer than 100 ready rows (a changed-since read may also
             * return tasks committed while another transaction on a shared server was still
             * open when the mark was taken); returns how many messages they added.
             */
            const settle = async () => {
              let added = 0;
              for (let i = 0; i < 30; i++) {
                added += await requeue();
                if (o.readyRows < 100) return added;
                await run.time.advance(200);
              }
              throw new Error(
                `every pass still reads ${o.readyRows} ready tasks: the backlog, not what changed`,
              );
            };
            // First pass of an instance: every ready task (a shared store may hold other tests' too).
            expect(await requeue()).toBeGreaterThanOrEqual(1200);
            expect(o.readyRows).toBeGreaterThanOrEqual(1200);
            expect(await settle()).toBe(0); // nothing changed: passes stop reading the backlog
            // A task committed ready whose enqueue never happened (its process died).
            const [lost] = await seedJobs(
              run,
              1,
              () => ({}),
              () => [{ queue: q, status: 'ready' }],
            );
            expect(await settle()).toBe(1);
            expect((await run.adapters.workQueue.stats(q)).ready).toBe(1201);
            // The queue store lost its data (its epoch changed): everything is re-enqueued.
            for (const t of [...backlog.flatMap((s) => s.tasks), ...lost!.tasks]) {
              await run.adapters.workQueue.remove(q, `${t.id}:${t.attempt}`);
            }
            o.epoch = randomName('wiped');
            expect(await requeue()).toBe(1201);
            // A message lost without a wipe is found by the full sweep at its cadence.
            const one = backlog[0]!.tasks[0]!;
            expect(await run.adapters.workQueue.remove(q, `${one.id}:${one.attempt}`)).toBe(true);
            expect(await requeue()).toBe(0);
            await run.time.advance(5001);
            expect(await requeue()).toBe(1);
          } finally {
            await o.engine.close();
          }
        });
      },
    );

    it(
      'a pass stopped by its budget resumes where it stopped: orphan sweep over a listing of two pages',
      SLOW,
      async () => {
        await withEngine(factory, { pipeline }, async (run) => {
          const { job } = (await seedJobs(run, 1, () => ({})))[0]!;
          const key = (jobId: string, name: string) => `tenants/${run.tenantId}/jobs/${jobId}/input/${name}`;
          const first = key('job-gone-first', 'a.bin'); // sorts before `job_…`: page 1
          const last = key('zzz-gone-last', 'z.bin'); // sorts after every live key: page 2
          await run.adapters.artifactStore.put(first, 'x');
          await times(1050, 16, (i) => run.adapters.artifactStore.put(key(job.id, `f${i}`), 'x'));
          await run.adapters.artifactStore.put(last, 'x');
          await run.time.advance(10);
          const slowList = slowed(run, run.adapters.artifactStore, 'list', 5);
          const o = observedEngine(run, { maintenancePassBudgetMs: 1 }, { artifactStore: slowList });
          try {
            const sweep = async () =>
              (await o.engine.maintenance.sweepOrphans({ graceMs: 0 }))._unsafeUnwrap();
            expect(await sweep()).toMatchObject({ deleted: 1, complete: false });
            expect(await run.adapters.artifactStore.head(first)).toBeNull();
            expect(await run.adapters.artifactStore.head(last)).not.toBeNull();
            expect(await sweep()).toMatchObject({ deleted: 1, complete: true });
            expect(await run.adapters.artifactStore.head(last)).toBeNull();
            expect(await run.adapters.artifactStore.head(key(job.id, 'f0'))).not.toBeNull();
          } finally {
            await o.engine.close();
          }
        });
      },
    );

    it(
      'a pass stopped by its budget resumes where it stopped: session sweep and full re-enqueue',
      SLOW,
      async () => {
        const q = randomName('q');
        await withEngine(factory, { pipeline, tenantLimits: { concurrentSessions: 5000 } }, async (run) => {
          const now = run.time.now();
          await times(1200, 16, async (i) => {
            const record = makeSessionRecord({ tenantId: run.tenantId, startedAt: now - 60_000 + i });
            await run.adapters.sessionArchive.open(record);
            const live = liveSession(run.tenantId, now, { id: record.id, expiresAt: now + 600_000 });
            expect(await run.adapters.sessionStore.create(live, 600_000)).toBe(true);
          });
          const expired = makeSessionRecord({ tenantId: run.tenantId, startedAt: now - 30_000 });
          await run.adapters.sessionArchive.open(expired);
          await seedJobs(
            run,
            120,
            () => ({}),
            () => Array.from({ length: 10 }, () => ({ queue: q, status: 'ready' as const })),
          );
          const o = observedEngine(
            run,
            { maintenancePassBudgetMs: 1 },
            {
              sessionArchive: slowed(run, run.adapters.sessionArchive, 'listActive', 5),
            },
          );
          try {
            // One page of 500 records per pass: the expired one, after 1,200 live ones (and
            // whatever a shared store holds before them), is reached on the third pass or later.
            const status = async () =>
              (await run.adapters.sessionArchive.get(run.tenantId, expired.id))?.status;
            const statuses: (string | undefined)[] = [];
            for (let i = 0; i < 30 && (await status()) === 'active'; i++) {
              (await o.engine.maintenance.sweepSessions())._unsafeUnwrap();
              statuses.push(await status());
            }
            expect(statuses.slice(0, 2)).toEqual(['active', 'active']);
            expect(statuses.at(-1)).toBe('interrupted');
          } finally {
            await o.engine.close();
          }
          const r = observedEngine(
            run,
            { maintenancePassBudgetMs: 1 },
            { jobStore: slowed(run, run.adapters.jobStore, 'findReadyTasks', 5) },
          );
          try {
            // A full re-enqueue of 1,200 ready tasks, one page of 500 per pass, each pass going on from the last.
            const perPass: number[] = [];
            for (let i = 0; i < 30 && (await run.adapters.workQueue.stats(q)).ready < 1200; i++) {
              perPass.push((await r.engine.maintenance.reconcile())._unsafeUnwrap().requeued);
            }
            expect((await run.adapters.workQueue.stats(q)).ready).toBe(1200);
            expect(perPass.length).toBeGreaterThanOrEqual(3);
            expect(Math.max(...perPass)).toBeLessThanOrEqual(500);
          } finally {
            await r.engine.close();
          }
        });
      },
    );

    it('start() runs the orphan sweep on its own interval', async () => {
      await withEngine(
        factory,
        { pipeline, config: { orphanGraceMs: 0, orphanSweepIntervalMs: 300 } },
        async (run) => {
          const orphan = `tenants/${run.tenantId}/jobs/${randomName('job-gone')}/input/in.wav`;
          await run.adapters.artifactStore.put(orphan, 'left by a crashed submit');
          (await run.dalston.maintenance.start({ intervalMs: 60_000 }))._unsafeUnwrap();
          await eventually(run.time, async () => (await run.adapters.artifactStore.head(orphan)) === null, {
            timeoutMs: 10_000,
            stepMs: 50,
          });
          (await run.dalston.maintenance.stop())._unsafeUnwrap();
        },
      );
    });
  });
}
