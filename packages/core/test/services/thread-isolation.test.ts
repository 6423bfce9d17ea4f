/**
 * Thread isolation (`createWorker({ isolation: { kind: 'thread', module } })`): a handler
 * that never yields is terminated at its deadline, its attempt is recorded timed out and
 * the worker takes the next task; a normal thread handler completes with its output,
 * progress events, an artifact put and read back, and log lines, all proxied to the main
 * thread. TypeScript handler modules load through a preload that registers tsx.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LogLine, recordingLogger } from '../../src/contract/engine.workers.js';
import type { Pipeline } from '../../src/services/jobs/pipeline.js';
import type { Worker } from '../../src/services/workers/worker.js';
import { type Harness, harness, until } from './harness.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const isolation = {
  kind: 'thread' as const,
  module: fixture('thread-handlers.ts'),
  preload: [fixture('register-tsx.mjs')],
};
const byStage: Pipeline<{ stage: string; name?: string }> = {
  build: (p) => [{ stage: p.stage, queue: 'iso', timeoutMs: 1000, maxAttempts: 1 }],
};

let h: Harness | null = null;
afterEach(async () => {
  await h?.dalston.close({ deadlineMs: 1000 });
  h = null;
});

/** Polls in real time while sampling the worker: never more handlers than its concurrency. */
const sampled = (worker: Worker) => (check: () => Promise<boolean>, what: string) =>
  until(
    async () => {
      expect(worker.stats().running).toBeLessThanOrEqual(1);
      return check();
    },
    20_000,
    what,
  );

describe('thread isolation', () => {
  it('a thread handler that never yields is terminated at its deadline; the worker takes the next task', async () => {
    const lines: LogLine[] = [];
    h = await harness({ pipeline: byStage, logger: recordingLogger(lines) });
    const { dalston, tenantId } = h;
    const worker = dalston.createWorker({ queues: ['iso'], concurrency: 1, waitMs: 50, isolation });
    const wait = sampled(worker);
    const spin = (await dalston.jobs.submit({ tenantId, parameters: { stage: 'spin' } }))._unsafeUnwrap();
    const events = async (jobId: string) => (await dalston.jobs.readEvents(tenantId, jobId))._unsafeUnwrap();
    await wait(async () => (await events(spin.id)).some((e) => e.type === 'task.progress'), 'spin started');
    // The thread now spins in `while (true) {}`; the deadline passes.
    await h.advance(1000);
    await wait(
      async () => (await dalston.jobs.get(tenantId, spin.id))._unsafeUnwrap().status === 'failed',
      'spin failed',
    );
    const failed = (await dalston.jobs.get(tenantId, spin.id))._unsafeUnwrap();
    expect(failed.error).toMatchObject({ code: 'TIMEOUT', stage: 'spin' });

    const next = (
      await dalston.jobs.submit({ tenantId, parameters: { stage: 'work', name: 'ada' } })
    )._unsafeUnwrap();
    await wait(
      async () => (await dalston.jobs.get(tenantId, next.id))._unsafeUnwrap().status === 'completed',
      'next done',
    );
    // The job shows completed a moment before its attempt lets go of the worker slot.
    await wait(async () => worker.stats().running === 0, 'slot free');
    // Terminated at once, the spinning handler is not reported as one that ignored its signal.
    expect(worker.stats()).toMatchObject({ running: 0, overdueHandlers: 0, overdueTotal: 0 });
    expect(lines.filter((l) => l.message.includes('ignored its signal'))).toEqual([]);
    // The spinning thread was terminated and dropped: the next task ran in a new one.
    const spun = (await events(spin.id)).find((e) => e.type === 'task.progress')!.payload.progress as {
      spinning: number;
    };
    const done = (await h.adapters.jobStore.getSnapshot(tenantId, next.id))!.tasks[0]!.output as {
      threadId: number;
    };
    expect(done.threadId).not.toBe(spun.spinning);
  });

  it('cancelling a job terminates its spinning thread; the task is recorded cancelled', async () => {
    h = await harness({ pipeline: byStage });
    const { dalston, tenantId } = h;
    const worker = dalston.createWorker({ queues: ['iso'], concurrency: 1, waitMs: 50, isolation });
    const wait = sampled(worker);
    const spin = (await dalston.jobs.submit({ tenantId, parameters: { stage: 'spin' } }))._unsafeUnwrap();
    const progressed = async () =>
      (await dalston.jobs.readEvents(tenantId, spin.id))
        ._unsafeUnwrap()
        .some((e) => e.type === 'task.progress');
    await wait(progressed, 'spin started');
    (await dalston.jobs.cancel(tenantId, spin.id))._unsafeUnwrap();
    const status = async (id: string) => (await dalston.jobs.get(tenantId, id))._unsafeUnwrap().status;
    await wait(async () => (await status(spin.id)) === 'cancelled', 'spin cancelled');
    expect((await h.adapters.jobStore.getSnapshot(tenantId, spin.id))!.tasks[0]!.status).toBe('cancelled');
    const next = (
      await dalston.jobs.submit({ tenantId, parameters: { stage: 'work', name: 'bo' } })
    )._unsafeUnwrap();
    await wait(async () => (await status(next.id)) === 'completed', 'next done');
  });

  it('closing the worker terminates a spinning thread at the close deadline', async () => {
    h = await harness({ pipeline: byStage });
    const { dalston, tenantId } = h;
    const worker = dalston.createWorker({ queues: ['iso'], concurrency: 1, waitMs: 50, isolation });
    const spin = (await dalston.jobs.submit({ tenantId, parameters: { stage: 'spin' } }))._unsafeUnwrap();
    await sampled(worker)(
      async () =>
        (await dalston.jobs.readEvents(tenantId, spin.id))
          ._unsafeUnwrap()
          .some((e) => e.type === 'task.progress'),
      'spin started',
    );
    await worker.close({ deadlineMs: 50 });
    expect(worker.stats()).toMatchObject({ running: 0, overdueHandlers: 0, abandonedHandlers: 0 });
    // Handed back uncounted for another worker: still attempt 1, ready again.
    const task = (await h.adapters.jobStore.getSnapshot(tenantId, spin.id))!.tasks[0]!;
    expect(task).toMatchObject({ attempt: 1 });
  });

  it('a thread handler completes with output, progress events, an artifact and log lines', async () => {
    const lines: LogLine[] = [];
    h = await harness({ pipeline: byStage, logger: recordingLogger(lines) });
    const { dalston, tenantId, adapters } = h;
    dalston.createWorker({ queues: ['iso'], waitMs: 50, isolation });
    const job = (
      await dalston.jobs.submit({ tenantId, parameters: { stage: 'work', name: 'ada' } })
    )._unsafeUnwrap();
    await until(
      async () => (await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().status === 'completed',
      20_000,
    );
    const snapshot = await adapters.jobStore.getSnapshot(tenantId, job.id);
    const output = snapshot!.tasks[0]!.output as { uri: string; text: string; threadId: number };
    expect(output).toMatchObject({ text: 'hello ada', stage: 'work', attempt: 1 });
    expect(output.threadId).toBeGreaterThan(0); // not the main thread (0)
    const stored = await adapters.artifactStore.get(adapters.artifactStore.keyFromUri(output.uri));
    let body = '';
    for await (const chunk of stored.body) body += String(chunk);
    expect(body).toBe('hello ada');
    expect(stored.info).toMatchObject({ contentType: 'text/plain' });
    const events = (await dalston.jobs.readEvents(tenantId, job.id))._unsafeUnwrap();
    expect(events.filter((e) => e.type === 'task.progress').map((e) => e.payload.progress)).toEqual([
      { step: 1 },
      { step: 2 },
    ]);
    const line = lines.find((l) => l.message === 'thread handler done');
    expect(line?.fields).toMatchObject({
      jobId: job.id,
      correlationId: job.correlationId,
      part: 'tail',
      size: 9,
    });
    // The next task reuses the pooled thread.
    const again = (
      await dalston.jobs.submit({ tenantId, parameters: { stage: 'work', name: 'bo' } })
    )._unsafeUnwrap();
    await until(
      async () => (await dalston.jobs.get(tenantId, again.id))._unsafeUnwrap().status === 'completed',
      20_000,
    );
    const second = (await adapters.jobStore.getSnapshot(tenantId, again.id))!.tasks[0]!.output as {
      threadId: number;
    };
    expect(second.threadId).toBe(output.threadId);
  });

  it("a thread handler's chosen failure keeps its code and retryability", async () => {
    h = await harness({ pipeline: byStage });
    const { dalston, tenantId } = h;
    dalston.createWorker({ queues: ['iso'], waitMs: 50, isolation });
    const job = (await dalston.jobs.submit({ tenantId, parameters: { stage: 'refuse' } }))._unsafeUnwrap();
    await until(
      async () => (await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().status === 'failed',
      20_000,
    );
    expect((await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().error).toMatchObject({
      code: 'BAD_VOICE',
      message: 'no such voice',
    });
  });

  it('a handler module that cannot load fails the attempt once, with HANDLER_LOAD_FAILED', async () => {
    h = await harness({ pipeline: byStage });
    const { dalston, tenantId } = h;
    dalston.createWorker({
      queues: ['iso'],
      waitMs: 50,
      isolation: { kind: 'thread', module: fixture('no-such-module.mjs') },
    });
    const job = (await dalston.jobs.submit({ tenantId, parameters: { stage: 'work' } }))._unsafeUnwrap();
    await until(
      async () => (await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().status === 'failed',
      20_000,
    );
    expect((await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().error).toMatchObject({
      code: 'HANDLER_LOAD_FAILED',
    });
  });

  it('refuses isolation together with handlers, and a relative module path', () => {
    return harness({ pipeline: byStage }).then((made) => {
      h = made;
      const create = (options: object) => () =>
        made.dalston.createWorker({ queues: ['iso'], ...options } as Parameters<
          typeof made.dalston.createWorker
        >[0]);
      expect(create({ isolation, handler: () => null })).toThrow(/isolation/);
      expect(create({ isolation: { kind: 'thread', module: './handlers.js' } })).toThrow(/isolation\.module/);
    });
  });
});
