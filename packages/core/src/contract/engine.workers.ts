/**
 * Whole-engine contract, worker slots: a handler that ignores its signal after its
 * timeout keeps its worker slot until it returns, so a concurrency-1 worker never runs a
 * second handler meanwhile; the attempt is still recorded failed (TIMEOUT) at the deadline
 * and retried; the overdue handler is reported by a warn log and the worker's counters.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../ports/logger.js';
import {
  type EngineFactory,
  type EngineRun,
  eventually,
  gate,
  randomName,
  withEngine,
} from './engine.harness.js';
import { track } from './harness.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line (with its children's fields) in `lines`. */
export function recordingLogger(lines: LogLine[] = [], base: Record<string, unknown> = {}): Logger {
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields: { ...base, ...fields } });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}

/** Counts handlers in flight; `max` is the most ever seen at once (checked at every entry). */
function handlerGauge() {
  const gauge = { now: 0, max: 0 };
  return {
    gauge,
    async around<T>(body: () => Promise<T>): Promise<T> {
      gauge.now++;
      gauge.max = Math.max(gauge.max, gauge.now);
      try {
        return await body();
      } finally {
        gauge.now--;
      }
    },
  };
}

export function engineWorkersContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine worker slots`, () => {
    it('a handler that ignores its signal keeps its slot past its timeout; the attempt fails at the deadline and is retried', async () => {
      const q = randomName('q');
      const pipeline = {
        build: (p: { stage?: string }) => [
          {
            stage: p.stage ?? 'stubborn',
            queue: q,
            timeoutMs: 300,
            maxAttempts: 2,
            backoff: { kind: 'fixed' as const, delayMs: 0 },
          },
        ],
      };
      const lines: LogLine[] = [];
      await withEngine(factory, { pipeline, logger: recordingLogger(lines) }, async (run) => {
        const release = gate();
        const { gauge, around } = handlerGauge();
        const worker = run.dalston.createWorker({
          queues: [q],
          concurrency: 1,
          waitMs: 100,
          handlers: {
            // Attempt 1 never looks at ctx.signal: it runs until the test releases it.
            stubborn: (ctx) =>
              around(async () => {
                if (ctx.attempt === 1) {
                  await release.promise;
                  return 'late';
                }
                return 'retried';
              }),
            polite: () => around(async () => 'ok'),
          },
        });
        const sample = () => {
          expect(gauge.max).toBeLessThanOrEqual(1);
          expect(worker.stats().running).toBeLessThanOrEqual(1);
        };
        const a = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await eventually(run.time, () => gauge.now === 1);
        const b = (
          await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { stage: 'polite' } })
        )._unsafeUnwrap();

        // At the deadline the attempt is recorded failed and its retry scheduled, while the handler still runs.
        await eventually(
          run.time,
          async () => {
            sample();
            return (await run.tasks(a.id)).stubborn!.attempt === 2 && worker.stats().overdueTotal === 1;
          },
          { timeoutMs: 5000, stepMs: 50 },
        );
        expect(gauge.now).toBe(1);
        expect(worker.stats()).toMatchObject({
          concurrency: 1,
          running: 1,
          overdueHandlers: 1,
          overdueTotal: 1,
        });
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, a.id, { limit: 100 })
        )._unsafeUnwrap();
        expect(events.find((e) => e.type === 'task.retrying')?.payload).toMatchObject({
          attempt: 2, // the retry's attempt number
          errorCode: 'TIMEOUT',
        });
        const warned = lines.filter((l) => l.level === 'warn' && l.message.includes('ignored its signal'));
        expect(warned).toHaveLength(1);
        expect(warned[0]!.fields).toMatchObject({
          jobId: a.id,
          taskId: (await run.tasks(a.id)).stubborn!.id,
          correlationId: a.correlationId,
          attempt: 1,
          reason: 'timeout',
        });

        // Well past its timeout the slot is still taken: neither the queued task nor the retry starts.
        for (let i = 0; i < 6; i++) {
          await run.time.advance(150);
          sample();
        }
        expect((await run.tasks(b.id)).polite!.status).toBe('ready');
        expect((await run.tasks(a.id)).stubborn!.status).toBe('ready');

        release.open();
        await run.waitFor(a.id, 'completed');
        await run.waitFor(b.id, 'completed');
        expect(gauge.max).toBe(1);
        expect((await run.tasks(a.id)).stubborn).toMatchObject({ attempt: 2, output: 'retried' });
        // The loop frees its slot just after the outcome is committed.
        await eventually(run.time, () => worker.stats().running === 0);
        expect(worker.stats()).toMatchObject({ running: 0, overdueHandlers: 0, overdueTotal: 1 });
      });
    });

    it('a cancelled handler that ignores its signal keeps its slot; the job ends cancelled at once', async () => {
      const q = randomName('q');
      const pipeline = { build: (p: { stage?: string }) => [{ stage: p.stage ?? 'stubborn', queue: q }] };
      const lines: LogLine[] = [];
      await withEngine(factory, { pipeline, logger: recordingLogger(lines) }, async (run) => {
        const release = gate();
        const { gauge, around } = handlerGauge();
        const worker = run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handlers: {
            stubborn: () => around(() => release.promise.then(() => 'late')),
            polite: () => around(async () => 'ok'),
          },
        });
        const a = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await eventually(run.time, () => gauge.now === 1);
        const b = (
          await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { stage: 'polite' } })
        )._unsafeUnwrap();
        (await run.dalston.jobs.cancel(run.tenantId, a.id))._unsafeUnwrap();
        await run.waitFor(a.id, 'cancelled');
        await eventually(run.time, () => worker.stats().overdueTotal === 1);
        expect(lines.find((l) => l.message.includes('ignored its signal'))?.fields).toMatchObject({
          jobId: a.id,
          reason: 'cancelled',
        });
        for (let i = 0; i < 4; i++) {
          await run.time.advance(100);
          expect(gauge.max).toBe(1);
        }
        expect((await run.tasks(b.id)).polite!.status).toBe('ready');
        release.open();
        await run.waitFor(b.id, 'completed');
        expect(gauge.max).toBe(1);
        expect((await run.tasks(a.id)).stubborn!.status).toBe('cancelled');
      });
    });

    it('close() waits for an overdue handler until it returns', async () => {
      const lines: LogLine[] = [];
      await withEngine(
        factory,
        { pipeline: stubbornPipeline(), logger: recordingLogger(lines) },
        async (run) => {
          const { worker, release } = await overdueWorker(run);
          const closing = track(worker.close({ deadlineMs: 60_000 }));
          await run.time.advance(200);
          expect(closing.settled).toBe(false);
          expect(worker.stats().overdueHandlers).toBe(1);
          release.open();
          await closing.promise;
          expect(worker.stats()).toMatchObject({ running: 0, overdueHandlers: 0, abandonedHandlers: 0 });
        },
      );
    });

    it('close() gives up on an overdue handler at its deadline and reports it', async () => {
      const lines: LogLine[] = [];
      await withEngine(
        factory,
        { pipeline: stubbornPipeline(), logger: recordingLogger(lines) },
        async (run) => {
          const { worker, release, job } = await overdueWorker(run);
          try {
            await worker.close({ deadlineMs: 100 }); // wall-clock
            expect(worker.stats()).toMatchObject({ overdueHandlers: 1, abandonedHandlers: 1 });
            const left = lines.filter((l) => l.level === 'warn' && l.message.includes('left running'));
            expect(left.map((l) => l.fields)).toMatchObject([
              { jobId: job.id, correlationId: job.correlationId },
            ]);
          } finally {
            release.open();
          }
        },
      );
    });
  });
}

function stubbornPipeline() {
  const q = randomName('q');
  return {
    build: () => [{ stage: 'stubborn', queue: q, timeoutMs: 300, maxAttempts: 2 }],
  };
}

/** A concurrency-1 worker whose first handler ignores its timeout; resolves once it is reported overdue. */
async function overdueWorker(run: EngineRun) {
  const release = gate();
  const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
  const tasks = await run.tasks(job.id);
  const worker = run.dalston.createWorker({
    queues: [tasks.stubborn!.queue],
    waitMs: 100,
    handler: async () => {
      await release.promise;
      return null;
    },
  });
  await eventually(run.time, () => worker.stats().overdueTotal === 1, { timeoutMs: 5000, stepMs: 50 });
  return { worker, release, job };
}
