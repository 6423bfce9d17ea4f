/**
 * Whole-engine contract, hostile handler values: whatever a handler throws or returns, its
 * attempt ends once, with the same outcome on every adapter set. Thrown values are never
 * trusted (`Object.create(null)`, a Proxy whose traps throw); error messages and codes are
 * stored sanitised (NUL and lone surrogates replaced by U+FFFD, which PostgreSQL would
 * refuse); output that is not storable JSON fails the task with INVALID_OUTPUT naming the
 * problem, without a re-run; progress that is not storable is dropped.
 */
import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../domain/job.js';
import { TaskFailure } from '../services/workers/task-failure.js';
import { type EngineFactory, randomName, withEngine } from './engine.harness.js';

/** A Proxy every trap of which throws. */
const hostileProxy = (): object => {
  const trap = () => {
    throw new Error('trap');
  };
  return new Proxy(
    {},
    {
      get: trap,
      getPrototypeOf: trap,
      ownKeys: trap,
      has: trap,
      getOwnPropertyDescriptor: trap,
    },
  );
};

/** What each case's handler does, and the job's expected end (status, error code, message). */
const CASES: Record<string, { act: () => unknown; status: JobStatus; code?: string; message?: RegExp }> = {
  nullProtoThrown: {
    act: () => {
      throw Object.create(null);
    },
    status: 'failed',
    code: 'HANDLER_ERROR',
  },
  proxyThrown: {
    act: () => {
      throw hostileProxy();
    },
    status: 'failed',
    code: 'HANDLER_ERROR',
  },
  nulInMessage: {
    act: () => {
      throw new Error('bad\u0000news\ud800!');
    },
    status: 'failed',
    code: 'HANDLER_ERROR',
    message: /^bad\uFFFDnews\uFFFD!$/,
  },
  nulInTaskFailureCode: {
    act: () => {
      throw new TaskFailure('nope\udc00', { code: 'E\u0000X', retryable: true });
    },
    status: 'failed',
    code: 'E\uFFFDX',
    message: /^nope\uFFFD$/,
  },
  nulInOutput: {
    act: () => ({ text: 'a\u0000b' }),
    status: 'failed',
    code: 'INVALID_OUTPUT',
    message: /output\.text contains NUL/,
  },
  loneSurrogateInOutput: {
    act: () => ['fine', '\udc00'],
    status: 'failed',
    code: 'INVALID_OUTPUT',
    message: /output\[1\] contains a lone surrogate/,
  },
  nulInOutputKey: {
    act: () => ({ 'k\u0000': 1 }),
    status: 'failed',
    code: 'INVALID_OUTPUT',
    message: /key that contains NUL/,
  },
  // Resolving the handler's promise reads `then` of what it returned: the trap throws there.
  hostileProxyReturned: { act: () => hostileProxy(), status: 'failed', code: 'HANDLER_ERROR' },
  proxyOutput: {
    act: () =>
      new Proxy(
        { a: 1 },
        {
          get: (_t, key) => {
            if (key === 'then') return undefined;
            throw new Error('trap');
          },
        },
      ),
    status: 'failed',
    code: 'INVALID_OUTPUT',
    message: /output could not be read/,
  },
  throwingGetterInOutput: {
    act: () => ({
      get text(): string {
        throw Object.create(null);
      },
    }),
    status: 'failed',
    code: 'INVALID_OUTPUT',
    message: /output could not be read/,
  },
  pairedSurrogatesInOutput: { act: () => ({ emoji: '\ud83d\ude00' }), status: 'completed' },
};

export function engineHandlerValuesContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine and hostile handler values`, () => {
    it('whatever a handler throws or returns, its attempt ends once with a storable outcome', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      await withEngine(factory, { pipeline }, async (run) => {
        const runs = new Map<string, number>();
        run.dalston.createWorker({
          queues: [q],
          concurrency: 4,
          waitMs: 100,
          handler: (ctx) => {
            const name = (ctx.job.parameters as { case: string }).case;
            runs.set(name, (runs.get(name) ?? 0) + 1);
            return CASES[name]!.act() as never;
          },
        });
        const jobs = new Map<string, string>();
        for (const name of Object.keys(CASES)) {
          const job = await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: { case: name } });
          jobs.set(name, job._unsafeUnwrap().id);
        }
        for (const [name, jobId] of jobs) {
          const expected = CASES[name]!;
          const job = await run.waitFor(jobId, ['completed', 'failed']);
          expect({ name, status: job.status }).toEqual({ name, status: expected.status });
          if (expected.code) expect({ name, code: job.error?.code }).toEqual({ name, code: expected.code });
          if (expected.message) expect(job.error?.message).toMatch(expected.message);
        }
        // Past two leases: no attempt was left unrecorded to be redelivered and run again.
        await run.time.advance(2500);
        for (const name of Object.keys(CASES))
          expect({ name, runs: runs.get(name) }).toEqual({ name, runs: 1 });
        expect((await run.tasks(jobs.get('pairedSurrogatesInOutput')!)).work?.output).toEqual({
          emoji: '\ud83d\ude00',
        });
      });
    });

    it('progress that is not storable JSON is dropped; storable progress is recorded', async () => {
      const q = randomName('q');
      const pipeline = { build: () => [{ stage: 'work', queue: q, maxAttempts: 1 }] };
      await withEngine(factory, { pipeline }, async (run) => {
        run.dalston.createWorker({
          queues: [q],
          waitMs: 100,
          handler: async (ctx) => {
            await ctx.progress({ note: 'a\u0000b' });
            await ctx.progress({ note: '\ud800' });
            await ctx.progress(hostileProxy() as never);
            await ctx.progress({ pct: 50 });
            return 'done';
          },
        });
        const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId }))._unsafeUnwrap();
        await run.waitFor(job.id, 'completed');
        const events = (
          await run.dalston.jobs.readEvents(run.tenantId, job.id, { limit: 1000 })
        )._unsafeUnwrap();
        const progress = events.filter((e) => e.type === 'task.progress').map((e) => e.payload.progress);
        expect(progress).toEqual([{ pct: 50 }]);
      });
    });
  });
}
