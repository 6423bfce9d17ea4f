/**
 * Whole-engine contract, logs: every line the engine writes about a job names the job
 * and carries its correlation id, so a host can follow one request through its logs.
 * Jobs run through success, a retry, a failure and a cancel, with one transient store
 * fault at each place the engine logs about a job (event publish, outcome record,
 * heartbeat, slot release); the engine's logger is captured whole.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../ports/logger.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { withFaults } from './engine.faults.js';
import { aborted, type EngineFactory, eventually, randomName, withEngine } from './engine.harness.js';

interface LogRecord {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

function capture(into: LogRecord[], base: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void into.push({ level, message, fields: { ...base, ...fields } });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => capture(into, { ...base, ...fields }),
  };
}

/** Fields that make a line one about a job (or its tasks, messages or events). */
const JOB_KEYS = ['jobId', 'taskId', 'taskIds', 'messageId', 'eventId', 'firstEventId'];

type Mode = 'ok' | 'flaky' | 'fail' | 'hang';

export function engineLoggingContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine logs`, () => {
    it('every engine log line about a job carries its correlation id: success, retry, failure, cancel', async () => {
      const q = randomName('q');
      const faults = withFaults(factory);
      const records: LogRecord[] = [];
      const backoff = { kind: 'fixed' as const, delayMs: 100 };
      const pipeline = { build: () => [{ stage: 'a', queue: q, maxAttempts: 2, backoff }] };
      await withEngine(faults.factory, { pipeline, logger: capture(records) }, async (run) => {
        let beatFailed: Promise<void> | null = null;
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            ctx.logger.info('handler running');
            const mode = ctx.job.parameters.mode as Mode;
            const mine = (args: unknown[]) => args.includes(ctx.job.id);
            if (mode === 'ok') {
              faults.failNext('eventBus', 'publish');
              await ctx.progress({ pct: 50 });
              faults.failNext('jobStore', 'updateJob', mine);
              return 'done';
            }
            if (mode === 'flaky' && ctx.attempt === 1) throw new Error('first attempt fails');
            if (mode === 'flaky') {
              faults.failNext('jobStore', 'extendLease', (args) => args.includes(ctx.task.id));
              await beatFailed;
              return 'second attempt';
            }
            if (mode === 'fail') {
              faults.failNext('rateLimitStore', 'releaseSlot', mine);
              throw new TaskFailure('bad input', { retryable: false, code: 'BAD_INPUT' });
            }
            await aborted(ctx.signal);
            throw ctx.signal.reason;
          },
        });
        beatFailed = eventually(run.time, () => faults.fired('jobStore', 'extendLease') === 1, {
          timeoutMs: 30_000,
        });
        const correlation = new Map<string, string>();
        const submit = async (mode: Mode) => {
          const correlationId = randomName(`corr-${mode}`);
          const job = (
            await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { mode }, correlationId })
          )._unsafeUnwrap();
          correlation.set(job.id, correlationId);
          return job.id;
        };
        await run.waitFor(await submit('ok'), 'completed');
        await run.waitFor(await submit('flaky'), 'completed');
        await run.waitFor(await submit('fail'), 'failed');
        const hang = await submit('hang');
        await eventually(run.time, async () => (await run.tasks(hang)).a!.status === 'running', {
          timeoutMs: 5000,
        });
        (await run.dalston.jobs.cancel(run.tenantId, hang))._unsafeUnwrap();
        await run.waitFor(hang, 'cancelled');
        // A submit whose enqueue fails (the job waits for the reconciler; cancelled here).
        faults.failNext('workQueue', 'enqueue');
        const unqueued = await submit('hang');
        (await run.dalston.jobs.cancel(run.tenantId, unqueued))._unsafeUnwrap();
        await run.waitFor(unqueued, 'cancelled');
        // A submit whose create fails gives its slot back (and that fails too): no job exists.
        const lost = randomName('corr-lost');
        faults.failNext('jobStore', 'createJob');
        faults.failNext('rateLimitStore', 'releaseSlot');
        const refused = await run.dalston.jobs.submit({
          tenantId: run.tenantId,
          parameters: { mode: 'ok' },
          correlationId: lost,
        });
        expect(refused._unsafeUnwrapErr().code).toBe('STORE_UNAVAILABLE');

        const expected = [
          /publish failed/,
          /enqueue failed/,
          /store unavailable; retrying/,
          /heartbeat failed/,
          /slot release failed/,
          /will be retried/,
          /^task failed/,
          /^job failed/,
          /^job cancelled/,
          /^job completed/,
        ];
        // A line written after a commit may come just after another reader saw the commit.
        await eventually(run.time, () =>
          expect(expected.filter((p) => !records.some((r) => p.test(r.message)))).toEqual([]),
        );
        const about = records.filter((r) => JOB_KEYS.some((k) => k in r.fields));
        expect(expected.filter((p) => !about.some((r) => p.test(r.message)))).toEqual([]);
        for (const r of about) {
          const line = `${r.level} "${r.message}" ${JSON.stringify(r.fields)}`;
          expect(typeof r.fields.jobId, `names no job: ${line}`).toBe('string');
          const wanted = correlation.get(r.fields.jobId as string) ?? lost;
          expect(r.fields.correlationId, line).toBe(wanted);
        }
        const lostLines = about.filter((r) => r.fields.correlationId === lost).map((r) => r.message);
        expect(lostLines.some((m) => /slot release failed/.test(m))).toBe(true);
        for (const jobId of correlation.keys()) {
          const engineLines = about.filter(
            (r) => r.fields.jobId === jobId && r.message !== 'handler running',
          );
          expect(engineLines.length, `no engine line about ${jobId}`).toBeGreaterThan(0);
        }
      });
    });
  });
}
