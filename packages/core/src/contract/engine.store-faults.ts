/**
 * Whole-engine contract, store faults during an attempt: STORE_UNAVAILABLE is
 * infrastructure, not the handler's fault. An artifact put that fails that way, however the
 * handler lets it out (rethrown, wrapped as `cause`, or replaced), re-runs the attempt
 * without spending `maxAttempts`, up to `maxStoreInterruptions`; the outcome write retries
 * STORE_UNAVAILABLE within the attempt, so the handler is not run again. The faults come
 * from wrappers around the fixture's real adapters (the stores themselves are untouched).
 */
import { describe, expect, it } from 'vitest';
import { DalstonError, type StoreName, storeUnavailable } from '../domain/errors.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import type { JobStore } from '../ports/job-store.js';
import type { DalstonAdapters } from '../services/wiring/adapters.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { type EngineFactory, eventually, gate, randomName, withEngine } from './engine.harness.js';

/** `target` with `method` replaced (other members bound to the target). */
function withMethod<T extends object>(target: T, method: keyof T, replacement: unknown): T {
  return new Proxy(target, {
    get(t, key) {
      if (key === method) return replacement;
      const value = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

/**
 * `inner` whose `method` fails with STORE_UNAVAILABLE (naming `store`) while
 * `failing[counter]` > 0, counting down; then calls through.
 */
function failingWhile<T extends object, K extends keyof T & string, C extends string>(
  inner: T,
  store: StoreName,
  method: K,
  failing: Record<C, number>,
  counter: C,
): T {
  const call = (inner[method] as (...a: unknown[]) => Promise<unknown>).bind(inner);
  const replacement = (async (...args: unknown[]) => {
    if (failing[counter] > 0) {
      failing[counter]--;
      throw storeUnavailable(store, method, new Error('connection refused'));
    }
    return call(...args);
  }) as T[K];
  return withMethod(inner, method, replacement);
}

const flakyArtifacts = (inner: ArtifactStore, failing: { puts: number }): ArtifactStore =>
  failingWhile(inner, 'artifactStore', 'put', failing, 'puts');
const flakyJobStore = (inner: JobStore, failing: { updates: number }): JobStore =>
  failingWhile(inner, 'jobStore', 'updateJob', failing, 'updates');
const flakyLeases = (inner: JobStore, failing: { extends: number }): JobStore =>
  failingWhile(inner, 'jobStore', 'extendLease', failing, 'extends');

/** Refuses (VALIDATION_FAILED, as PostgreSQL does for text it cannot hold) every write that completes a task. */
function refusingCompletions(inner: JobStore): JobStore {
  const updateJob: JobStore['updateJob'] = (jobId, decide) =>
    inner.updateJob(jobId, (snapshot) => {
      const change = decide(snapshot);
      if (change?.tasks.some((w) => w.next.status === 'completed')) {
        throw new DalstonError('VALIDATION_FAILED', 'output: rejected by the store', { field: 'output' });
      }
      return change;
    });
  return withMethod(inner, 'updateJob', updateJob);
}

/** `factory` with one of its adapters wrapped (the fault wrappers above). */
function wrapping<K extends keyof DalstonAdapters>(
  factory: EngineFactory,
  key: K,
  wrap: (inner: NonNullable<DalstonAdapters[K]>) => DalstonAdapters[K],
): EngineFactory {
  return async () => {
    const f = await factory();
    return {
      ...f,
      adapters: { ...f.adapters, [key]: wrap(f.adapters[key] as NonNullable<DalstonAdapters[K]>) },
    };
  };
}

const fast = { storeRetryBackoff: { kind: 'fixed' as const, delayMs: 50 } };

export function engineStoreFaultsContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine and store faults during an attempt`, () => {
    it('an artifact put failing with STORE_UNAVAILABLE re-runs the attempt without spending maxAttempts', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      const failing = { puts: 3 };
      const flaky = wrapping(factory, 'artifactStore', (inner) => flakyArtifacts(inner, failing));
      await withEngine(flaky, { pipeline, config: fast }, async (run) => {
        let runs = 0;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            runs++;
            const put = () => ctx.artifacts.put('out.txt', 'hello');
            if (runs === 1) await put(); // rethrown as is
            if (runs === 2)
              await put().catch((e) => Promise.reject(new Error('upload failed', { cause: e })));
            if (runs === 3)
              await put().catch(() => {
                throw new Error('upload failed'); // the cause is lost
              });
            return (await put()).uri;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        expect(runs).toBe(4);
        expect((await run.tasks(job.id)).work).toMatchObject({
          status: 'completed',
          attempt: 4,
          failures: 0,
          lostLeases: 3,
        });
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        const retrying = events.filter((e) => e.type === 'task.retrying').map((e) => e.payload);
        expect(retrying).toHaveLength(3);
        for (const p of retrying)
          expect(p).toMatchObject({ reason: 'store unavailable', errorCode: 'STORE_UNAVAILABLE' });
      });
    });

    it('past maxStoreInterruptions the task fails for good with STORE_UNAVAILABLE', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 3 }] };
      const failing = { puts: Number.POSITIVE_INFINITY };
      const flaky = wrapping(factory, 'artifactStore', (inner) => flakyArtifacts(inner, failing));
      await withEngine(flaky, { pipeline, config: { ...fast, maxStoreInterruptions: 2 } }, async (run) => {
        let runs = 0;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            runs++;
            return (await ctx.artifacts.put('out.txt', 'hello')).uri;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'STORE_UNAVAILABLE', stage: 'work' });
        expect(runs).toBe(3);
        expect((await run.tasks(job.id)).work).toMatchObject({
          status: 'failed',
          failures: 0,
          lostLeases: 3,
        });
      });
    });

    it("a non-retryable TaskFailure stays the handler's verdict, even after a store fault", async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 3 }] };
      const failing = { puts: 1 };
      const flaky = wrapping(factory, 'artifactStore', (inner) => flakyArtifacts(inner, failing));
      await withEngine(flaky, { pipeline, config: fast }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            await ctx.artifacts.put('out.txt', 'hello').catch((e) => {
              throw new TaskFailure('giving up', { retryable: false, code: 'NO_UPLOAD', cause: e });
            });
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'NO_UPLOAD' });
      });
    });

    it('recording the outcome retries STORE_UNAVAILABLE: the handler runs once', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      const failing = { updates: 0 };
      const flaky = wrapping(factory, 'jobStore', (inner) => flakyJobStore(inner, failing));
      await withEngine(flaky, { pipeline }, async (run) => {
        let runs = 0;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: () => {
            runs++;
            failing.updates = 6; // the store is down for the next 6 writes (about 3 s of retries)
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed', 15_000);
        expect(runs).toBe(1);
        expect((await run.tasks(job.id)).work).toMatchObject({
          status: 'completed',
          attempt: 1,
          lostLeases: 0,
        });
      });
    });

    it('progress retries STORE_UNAVAILABLE while the attempt runs: the event is recorded', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      const failing = { updates: 0 };
      const flaky = wrapping(factory, 'jobStore', (inner) => flakyJobStore(inner, failing));
      await withEngine(flaky, { pipeline }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            failing.updates = 3;
            await ctx.progress({ pct: 50 });
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        expect(events.filter((e) => e.type === 'task.progress').map((e) => e.payload.progress)).toEqual([
          { pct: 50 },
        ]);
      });
    });

    it('closing a worker past its deadline stops its outcome write retries', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      const failing = { updates: 0 };
      const flaky = wrapping(factory, 'jobStore', (inner) => flakyJobStore(inner, failing));
      await withEngine(flaky, { pipeline, config: { storeRetryBudgetMs: 600_000 } }, async (run) => {
        let ran = false;
        const worker = run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: () => {
            ran = true;
            failing.updates = Number.POSITIVE_INFINITY; // the store stays down
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await eventually(run.time, async () => ran);
        const closed = worker.close({ deadlineMs: 100 }).then(() => 'closed');
        const stuck = new Promise((r) => setTimeout(() => r('still retrying'), 5000).unref());
        expect(await Promise.race([closed, stuck])).toBe('closed');
        failing.updates = 0;
        // Nothing recorded: left to its message, redelivered later. The task is `running` after
        // an ordinary start, `ready` after a folded one (the start goes with the outcome).
        expect(['ready', 'running']).toContain((await run.tasks(job.id)).work!.status);
      });
    });

    it('an outcome the store refuses fails the task once with INVALID_OUTPUT, without a re-run', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 3 }] };
      const refusing = wrapping(factory, 'jobStore', (inner) => refusingCompletions(inner));
      await withEngine(refusing, { pipeline }, async (run) => {
        let runs = 0;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: () => {
            runs++;
            return 'ok';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        const failed = await run.waitFor(job.id, 'failed');
        expect(failed.error).toMatchObject({ code: 'INVALID_OUTPUT', stage: 'work' });
        expect(failed.error?.message).toMatch(/the store refused the handler's output/);
        await run.time.advance(2500); // past two leases: nothing left to redeliver
        expect(runs).toBe(1);
      });
    });

    it('a failed heartbeat is retried before the lease runs out, not a whole beat later', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      const failing = { extends: 0 };
      const flaky = wrapping(factory, 'jobStore', (inner) => flakyLeases(inner, failing));
      // Beats every 1333 ms (leaseMs / 3). The beat at 1333 ms and its two retries fail; the
      // next try (~2033 ms) extends the 4000 ms lease. Retrying only at the next beats
      // (2666, 3999, then 5332 ms) would let it lapse: the reconcile at 4600 ms would take it.
      // (Durations leave ~2 s of margin for real servers on a loaded machine.)
      await withEngine(flaky, { pipeline, config: { leaseMs: 4000, heartbeatMs: 1333 } }, async (run) => {
        let runs = 0;
        let startedAt = 0;
        const release = gate<string>();
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: () => {
            runs++;
            startedAt = run.time.now();
            failing.extends = 3;
            return release.promise;
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await eventually(run.time, async () => runs === 1);
        while (run.time.now() < startedAt + 4600) await run.time.advance(100);
        expect(failing.extends).toBe(0);
        // A reconcile now finds this task's lease alive (other tests' leftovers in a shared
        // store may expire, so the task itself is checked, not the pass's count).
        (await run.dalston.maintenance.reconcile())._unsafeUnwrap();
        expect((await run.tasks(job.id)).work).toMatchObject({
          status: 'running',
          attempt: 1,
          lostLeases: 0,
        });
        release.open('ok');
        await run.waitFor(job.id, 'completed');
        expect(runs).toBe(1);
        expect((await run.tasks(job.id)).work).toMatchObject({
          status: 'completed',
          attempt: 1,
          lostLeases: 0,
        });
      });
    });
  });
}
