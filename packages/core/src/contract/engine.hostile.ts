/**
 * Whole-engine contract, hostile values: every public service method returns a Result
 * whatever it is given (throwing getters, hostile Proxies, values whose `toString` throws,
 * null prototypes, NUL, lone surrogates, huge values, wrong types), never throws or rejects,
 * and answers alike on every adapter set: an id that cannot exist reads as a miss, a value
 * that cannot be stored is VALIDATION_FAILED, and no store error (STORE_UNAVAILABLE) or
 * INTERNAL error leaks out of caller input.
 */
import { describe, expect, it } from 'vitest';
import type { Dalston } from '../create-dalston.js';
import { type EngineFactory, type EngineRun, randomName, withEngine } from './engine.harness.js';

/** Fresh hostile values (each call, so no test shares a Proxy's state). */
function hostileValues(): [string, unknown][] {
  const boom = () => {
    throw new Error('hostile');
  };
  const getter = Object.defineProperty({}, 'x', { get: boom, enumerable: true });
  const proxy = new Proxy(
    {},
    {
      get: boom,
      has: boom,
      ownKeys: boom,
      getPrototypeOf: boom,
      getOwnPropertyDescriptor: boom,
    },
  );
  const nullProtoThrower = Object.create(null);
  return [
    ['a throwing getter', getter],
    ['a hostile Proxy', proxy],
    ['a null-prototype object', Object.create(null)],
    ['an object whose toString throws', { toString: boom, valueOf: boom }],
    ['a Symbol.toPrimitive that throws', { [Symbol.toPrimitive]: boom }],
    ['a null prototype with no toString', nullProtoThrower],
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\uD800b'],
    ['a huge string', 'x'.repeat(1_000_000)],
    ['a huge number', Number.MAX_VALUE],
    ['NaN', Number.NaN],
    ['a symbol', Symbol('hostile')],
    ['a bigint', 10n],
    ['a function', () => 1],
    ['undefined', undefined],
    ['null', null],
  ];
}

/** Codes that caller input may produce; INTERNAL and STORE_UNAVAILABLE never. */
const INPUT_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'CONFLICT',
  'INVALID_TRANSITION',
  'RATE_LIMITED',
];

type Call = (d: Dalston, args: unknown[]) => unknown;
interface MethodCase {
  name: string;
  call: Call;
  /** The arguments of a valid call, built per run. */
  args: (ctx: Ctx) => unknown[];
  /** Paths to replace with each hostile value: `[argIndex]` or `[argIndex, 'field', ...]`. */
  paths: (string | number)[][];
}

interface Ctx {
  tenantId: string;
  jobId: string;
  sessionId: string;
  uri: string;
}

const anyFn = (f: unknown) => f as (...a: unknown[]) => unknown;
const m =
  (service: keyof Dalston, method: string): Call =>
  (d, args) =>
    anyFn((d[service] as unknown as Record<string, unknown>)[method]).apply(d[service], args);

const CASES: MethodCase[] = [
  {
    name: 'jobs.submit',
    call: m('jobs', 'submit'),
    args: (c) => [{ tenantId: c.tenantId, parameters: { a: 'b' }, idempotencyKey: randomName('k') }],
    paths: [
      [0],
      [0, 'tenantId'],
      [0, 'parameters'],
      [0, 'parameters', 'a'],
      [0, 'idempotencyKey'],
      [0, 'correlationId'],
      [0, 'retentionDays'],
    ],
  },
  {
    name: 'jobs.submitMany',
    call: m('jobs', 'submitMany'),
    args: (c) => [
      [
        { tenantId: c.tenantId, parameters: { a: 'b' }, idempotencyKey: randomName('k') },
        { tenantId: c.tenantId },
      ],
    ],
    paths: [
      [0],
      [0, 0],
      [0, 1],
      [0, 1, 'tenantId'],
      [0, 0, 'parameters'],
      [0, 0, 'parameters', 'a'],
      [0, 1, 'idempotencyKey'],
    ],
  },
  { name: 'jobs.get', call: m('jobs', 'get'), args: (c) => [c.tenantId, c.jobId], paths: [[0], [1]] },
  {
    name: 'jobs.list',
    call: m('jobs', 'list'),
    args: (c) => [{ tenantId: c.tenantId, limit: 10 }],
    paths: [[0], [0, 'tenantId'], [0, 'status'], [0, 'cursor'], [0, 'limit'], [0, 'from']],
  },
  {
    name: 'jobs.cancel',
    call: m('jobs', 'cancel'),
    args: (c) => [c.tenantId, c.jobId, 'why'],
    paths: [[0], [1], [2]],
  },
  { name: 'jobs.retry', call: m('jobs', 'retry'), args: (c) => [c.tenantId, c.jobId], paths: [[0], [1]] },
  { name: 'jobs.delete', call: m('jobs', 'delete'), args: (c) => [c.tenantId, c.jobId], paths: [[0], [1]] },
  {
    name: 'jobs.readEvents',
    call: m('jobs', 'readEvents'),
    args: (c) => [c.tenantId, c.jobId, { after: 0 }],
    paths: [[0], [1], [2], [2, 'after'], [2, 'limit']],
  },
  {
    name: 'tenants.create',
    call: m('tenants', 'create'),
    args: () => [{ name: 'T', limits: { concurrentJobs: 1 } }],
    paths: [
      [0],
      [0, 'id'],
      [0, 'name'],
      [0, 'limits'],
      [0, 'limits', 'concurrentJobs'],
      [0, 'limits', 'requests'],
    ],
  },
  { name: 'tenants.get', call: m('tenants', 'get'), args: (c) => [c.tenantId], paths: [[0]] },
  {
    name: 'tenants.updateLimits',
    call: m('tenants', 'updateLimits'),
    args: (c) => [c.tenantId, { concurrentJobs: 100 }],
    paths: [[0], [1], [1, 'concurrentJobs'], [1, 'requests']],
  },
  {
    name: 'tenants.disable',
    call: m('tenants', 'disable'),
    args: (c) => [c.tenantId, false],
    paths: [[0], [1]],
  },
  {
    name: 'apiKeys.create',
    call: m('apiKeys', 'create'),
    args: (c) => [{ tenantId: c.tenantId, name: 'k', scopes: ['jobs:read'] }],
    paths: [[0], [0, 'tenantId'], [0, 'name'], [0, 'scopes'], [0, 'expiresAt']],
  },
  { name: 'apiKeys.verify', call: m('apiKeys', 'verify'), args: () => ['dk_nope'], paths: [[0]] },
  { name: 'apiKeys.list', call: m('apiKeys', 'list'), args: (c) => [c.tenantId], paths: [[0]] },
  {
    name: 'apiKeys.revoke',
    call: m('apiKeys', 'revoke'),
    args: (c) => [c.tenantId, 'key-none'],
    paths: [[0], [1]],
  },
  {
    name: 'artifacts.put',
    call: m('artifacts', 'put'),
    args: (c) => [c.tenantId, c.jobId, 'out.txt', 'body', {}],
    paths: [[0], [1], [2], [3], [4], [4, 'contentType']],
  },
  {
    name: 'artifacts.get',
    call: m('artifacts', 'get'),
    args: (c) => [c.tenantId, c.uri, {}],
    paths: [[0], [1], [2], [2, 'range']],
  },
  {
    name: 'artifacts.presignGet',
    call: m('artifacts', 'presignGet'),
    args: (c) => [c.tenantId, c.uri, 60],
    paths: [[0], [1], [2]],
  },
  {
    name: 'sessions.start',
    call: m('sessions', 'start'),
    args: (c) => [{ tenantId: c.tenantId, fields: { k: 'v' } }],
    paths: [[0], [0, 'tenantId'], [0, 'workerId'], [0, 'fields'], [0, 'fields', 'k'], [0, 'ttlMs']],
  },
  {
    name: 'sessions.keepalive',
    call: m('sessions', 'keepalive'),
    args: (c) => [c.tenantId, c.sessionId, {}],
    paths: [[0], [1], [2], [2, 'ttlMs']],
  },
  {
    name: 'sessions.get',
    call: m('sessions', 'get'),
    args: (c) => [c.tenantId, c.sessionId],
    paths: [[0], [1]],
  },
  {
    name: 'sessions.archived',
    call: m('sessions', 'archived'),
    args: (c) => [c.tenantId, c.sessionId],
    paths: [[0], [1]],
  },
  {
    name: 'sessions.update',
    call: m('sessions', 'update'),
    args: (c) => [c.tenantId, c.sessionId, { fields: { k: 'w' } }, {}],
    paths: [[0], [1], [2], [2, 'fields'], [2, 'fields', 'k'], [2, 'status'], [3], [3, 'expectedVersion']],
  },
  {
    name: 'sessions.record',
    call: m('sessions', 'record'),
    args: (c) => [c.tenantId, c.sessionId, 'a.wav', 'x', {}],
    paths: [[0], [1], [2], [3], [4], [4, 'contentType']],
  },
  {
    name: 'sessions.end',
    call: m('sessions', 'end'),
    args: (c) => [c.tenantId, 'ses-none', { status: 'completed' }],
    paths: [[0], [1], [2], [2, 'status'], [2, 'stats'], [2, 'error']],
  },
  {
    name: 'rateLimits.check',
    call: m('rateLimits', 'check'),
    args: () => [{ algorithm: 'fixed', limit: 10, windowMs: 1000 }, randomName('rl'), {}],
    paths: [[0], [0, 'limit'], [0, 'windowMs'], [0, 'algorithm'], [1], [2], [2, 'cost'], [2, 'failure']],
  },
  {
    name: 'rateLimits.acquireSlot / releaseSlot / refreshSlot',
    call: (d, args) => {
      const [key, holder, limit, options] = args;
      return [
        m('rateLimits', 'acquireSlot')(d, [key, holder, limit, options]),
        m('rateLimits', 'releaseSlot')(d, [key, holder]),
        m('rateLimits', 'refreshSlot')(d, [key, holder, limit]),
      ];
    },
    args: () => [randomName('slot'), randomName('h'), 5, {}],
    paths: [[0], [1], [2], [3], [3, 'ttlMs']],
  },
  {
    name: 'queues.pause / resume',
    call: (d, args) => [m('queues', 'pause')(d, [args[0]]), m('queues', 'resume')(d, [args[1]])],
    args: () => [randomName('q'), randomName('q')],
    paths: [[0], [1]],
  },
  {
    name: 'deadLetters.list',
    call: m('deadLetters', 'list'),
    args: () => [randomName('q'), { cursor: null, limit: 10 }],
    paths: [[0], [1], [1, 'cursor'], [1, 'limit']],
  },
  {
    name: 'deadLetters.redrive / discard',
    call: (d, args) => [
      m('deadLetters', 'redrive')(d, [args[0], args[1]]),
      m('deadLetters', 'discard')(d, [args[0], args[1]]),
    ],
    args: () => [randomName('q'), 'all'],
    paths: [[0], [1]],
  },
  {
    name: 'maintenance.sweepOrphans / start',
    call: (d, args) => [
      m('maintenance', 'sweepOrphans')(d, [args[0]]),
      m('maintenance', 'start')(d, [args[1]]),
    ],
    args: () => [{ graceMs: 3_600_000 }, { intervalMs: 3_600_000 }],
    paths: [[0], [0, 'graceMs'], [1], [1, 'intervalMs']],
  },
];

function withValue(args: unknown[], path: (string | number)[], value: unknown): unknown[] {
  const copy = structuredClone(args);
  if (path.length === 1) {
    copy[path[0] as number] = value;
    return copy;
  }
  let target = copy[path[0] as number] as Record<string, unknown>;
  for (const key of path.slice(1, -1)) target = target[key as string] as Record<string, unknown>;
  target[path[path.length - 1] as string] = value;
  return copy;
}

/** Calls without letting a throw escape; every returned ResultAsync must settle to a Result. */
async function outcomes(call: () => unknown): Promise<{ thrown?: unknown; results: unknown[] }> {
  let out: unknown;
  try {
    out = call();
  } catch (e) {
    return { thrown: e, results: [] };
  }
  const pending = Array.isArray(out) ? out : [out];
  const results: unknown[] = [];
  for (const p of pending) {
    try {
      results.push(await p);
    } catch (e) {
      return { thrown: e, results };
    }
  }
  return { results };
}

async function setUp(run: EngineRun): Promise<Ctx> {
  const job = (await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: {} }))._unsafeUnwrap();
  const session = (await run.dalston.sessions.start({ tenantId: run.tenantId }))._unsafeUnwrap();
  const put = await run.dalston.artifacts.put(run.tenantId, job.id, 'seed.txt', 'seed');
  return { tenantId: run.tenantId, jobId: job.id, sessionId: session.id, uri: put._unsafeUnwrap().uri };
}

export function engineHostileContract(name: string, factory: EngineFactory): void {
  describe(`${name}: engine, hostile values`, () => {
    const q = randomName('q');
    const pipeline = { build: () => [{ stage: 'only', queue: q }] };

    it.each(CASES)(
      '$name returns a Result for every hostile argument, never a store or internal error',
      async (c) => {
        await withEngine(factory, { pipeline, tenantLimits: { concurrentSessions: 1000 } }, async (run) => {
          const ctx = await setUp(run);
          const problems: string[] = [];
          for (const path of c.paths) {
            for (const [label, value] of hostileValues()) {
              const where = `${c.name} with ${label} at ${path.join('.')}`;
              const { thrown, results } = await outcomes(() =>
                c.call(run.dalston, withValue(c.args(ctx), path, value)),
              );
              if (thrown !== undefined) {
                problems.push(`${where}: threw or rejected`);
                continue;
              }
              for (const r of results as { isErr?: () => boolean; error?: { code: string } }[]) {
                if (typeof r?.isErr !== 'function') problems.push(`${where}: did not resolve to a Result`);
                else if (r.isErr() && !INPUT_CODES.includes(r.error!.code))
                  problems.push(`${where}: ${r.error!.code}`);
              }
            }
          }
          await run.dalston.maintenance.stop();
          expect(problems).toEqual([]);
          // Nothing hostile was stored: the tenant still reads back as plain data.
          const tenant = (await run.dalston.tenants.get(run.tenantId))._unsafeUnwrap();
          expect(typeof tenant.disabled).toBe('boolean');
          expect(typeof tenant.name).toBe('string');
        });
      },
    );

    it('jobs.events with hostile arguments yields, or throws a DalstonError of an input code', async () => {
      await withEngine(factory, { pipeline }, async (run) => {
        const ctx = await setUp(run);
        const problems: string[] = [];
        const base = () => [ctx.tenantId, ctx.jobId, { after: 0 }];
        for (const path of [[0], [1], [2], [2, 'after'], [2, 'signal']]) {
          for (const [label, value] of hostileValues()) {
            const [t, j, o] = withValue(base(), path, value);
            try {
              const events = run.dalston.jobs.events(t as string, j as string, o as object);
              for await (const _ of events) break; // the first event is enough
            } catch (e) {
              const code = (e as { name?: unknown; code?: unknown }).code;
              const name = (e as { name?: unknown }).name;
              if (name !== 'DalstonError' || !INPUT_CODES.includes(code as string)) {
                problems.push(
                  `jobs.events with ${label} at ${path.join('.')}: ${String(name)} ${String(code)}`,
                );
              }
            }
          }
        }
        expect(problems).toEqual([]);
      });
    });

    it('a pipeline whose build() throws a null-prototype object or a Proxy: VALIDATION_FAILED', async () => {
      const hostile = hostileValues();
      for (const [label, thrown] of hostile.slice(0, 6)) {
        const throwing = {
          build: () => {
            throw thrown;
          },
        };
        await withEngine(factory, { pipeline: throwing }, async (run) => {
          const r = await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: {} });
          expect(r.isErr(), label).toBe(true);
          expect(r._unsafeUnwrapErr(), label).toMatchObject({
            code: 'VALIDATION_FAILED',
            field: 'parameters',
          });
        });
      }
      for (const [label, returned] of hostile) {
        await withEngine(factory, { pipeline: { build: () => returned as never } }, async (run) => {
          const r = await run.dalston.jobs.submit({ tenantId: run.tenantId, parameters: {} });
          expect(r._unsafeUnwrapErr(), label).toMatchObject({ code: 'VALIDATION_FAILED' });
        });
      }
    });
  });
}
