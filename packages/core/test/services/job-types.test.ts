/**
 * Job type definitions and typed workers are checked once, at construction:
 * `createDalston` names `jobs.<type>.stages.<stage>.<field>`, `createWorker` names
 * `handlers.<type>.<stage>`; a plan that leaves out a required stage is refused at submit.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDalston, type Dalston, DalstonError, defineJob, type JobMap } from '../../src/index.js';

const engines: Dalston[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

function build(jobs: unknown, extra: Record<string, unknown> = {}): Dalston {
  const d = createDalston({ adapters: memoryAdapters(), jobs: jobs as JobMap, ...extra });
  engines.push(d);
  return d;
}

function refusal(fn: () => unknown): DalstonError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DalstonError);
    return e as DalstonError;
  }
  throw new Error('expected a throw');
}

const params = z.object({ n: z.int().default(1) });

describe('createDalston: job type definitions', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['no job type', {}, 'jobs', /at least one/],
    [
      'a bad type name',
      { Bad: defineJob({ parameters: params, stages: { a: { queue: 'q' } } }) },
      'jobs.Bad',
      /must match/,
    ],
    [
      'parameters not a schema',
      { t: { parameters: {}, stages: { a: { queue: 'q' } } } },
      'jobs.t.parameters',
      /zod/,
    ],
    ['no stages', { t: { parameters: params, stages: {} } }, 'jobs.t.stages', /at least one/],
    [
      'a bad queue',
      { t: { parameters: params, stages: { a: { queue: 'Q!' } } } },
      'jobs.t.stages.a.queue',
      /must match/,
    ],
    [
      'a bad setting',
      { t: { parameters: params, stages: { a: { queue: 'q', maxAttempts: 0 } } } },
      'jobs.t.stages.a.maxAttempts',
      /.+/,
    ],
    [
      'a bad backoff',
      { t: { parameters: params, stages: { a: { queue: 'q', backoff: { kind: 'fixed', delayMs: -1 } } } } },
      'jobs.t.stages.a.backoff.delayMs',
      /.+/,
    ],
    [
      'an unknown key',
      { t: { parameters: params, stages: { a: { queue: 'q', retries: 3 } } } },
      'jobs.t.stages.a',
      /retries/,
    ],
    [
      'output not a schema',
      { t: { parameters: params, stages: { a: { queue: 'q', output: 'string' } } } },
      'jobs.t.stages.a.output',
      /zod/,
    ],
    [
      'an unknown dependency',
      { t: { parameters: params, stages: { a: { queue: 'q', dependsOn: ['x'] } } } },
      'jobs.t.stages.a.dependsOn',
      /unknown stage "x"/,
    ],
    [
      'a cycle',
      {
        t: {
          parameters: params,
          stages: { a: { queue: 'q', dependsOn: ['b'] }, b: { queue: 'q', dependsOn: ['a'] } },
        },
      },
      'jobs.t.stages.a.dependsOn',
      /cycle: a -> b -> a/,
    ],
    [
      'a queue of two types',
      {
        t: { parameters: params, stages: { a: { queue: 'shared' } } },
        u: { parameters: params, stages: { b: { queue: 'shared' } } },
      },
      'jobs.u.stages.b.queue',
      /already belongs to job type "t"/,
    ],
    [
      'plan not a function',
      { t: { parameters: params, stages: { a: { queue: 'q' } }, plan: 1 } },
      'jobs.t.plan',
      /function/,
    ],
  ];
  for (const [what, jobs, field, message] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const e = refusal(() => build(jobs));
      expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(e.message).toMatch(message);
    });
  }

  it('refuses jobs and pipeline together', () => {
    const jobs = { t: defineJob({ parameters: params, stages: { a: { queue: 'q' } } }) };
    const e = refusal(() => build(jobs, { pipeline: { build: () => [] } }));
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: 'jobs' });
  });

  it('refuses a plan that leaves out a required stage, or names an unknown one, at submit', async () => {
    const t = defineJob({
      parameters: z.object({ omit: z.string() }),
      stages: { a: { queue: 'q' }, b: { queue: 'q', dependsOn: ['a'], required: false } },
      plan: (p) => ({ omit: [p.omit as 'a' | 'b'] }),
    });
    const d = build({ t });
    await d.tenants.create({ id: 'acme', name: 'acme' });
    const required = await d.jobs.submit({ tenantId: 'acme', parameters: { omit: 'a' } });
    expect(required._unsafeUnwrapErr()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'jobs.t.plan.omit[0]',
    });
    const unknown = await d.jobs.submit({ tenantId: 'acme', parameters: { omit: 'z' } });
    expect(unknown._unsafeUnwrapErr()).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'jobs.t.plan.omit[0]',
    });
    const fine = await d.jobs.submit({ tenantId: 'acme', parameters: { omit: 'b' } });
    expect(fine._unsafeUnwrap().type).toBe('t');
  });
});

describe('createWorker: typed handlers', () => {
  const jobs = {
    t: defineJob({
      parameters: params,
      stages: {
        a: { queue: 'qa' },
        b: { queue: 'qb', dependsOn: ['a'] },
        c: { queue: 'qb', dependsOn: ['a'] },
      },
    }),
  };
  const cases: [string, unknown, string][] = [
    ['an unknown type', { x: { a: () => null } }, 'handlers.x'],
    ['an unknown stage', { t: { z: () => null } }, 'handlers.t.z'],
    ['a handler that is not a function', { t: { a: 'nope' } }, 'handlers.t.a'],
    ['a queue leased without a handler for each of its stages', { t: { b: () => null } }, 'handlers.t.c'],
    ['no handlers', {}, 'handlers'],
  ];
  for (const [what, handlers, field] of cases) {
    it(`refuses ${what}, naming ${field}`, () => {
      const d = build(jobs);
      const e = refusal(() => d.createWorker({ handlers } as never));
      expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field });
    });
  }

  it('derives the queues from the handled stages', async () => {
    const d = build(jobs);
    const w = d.createWorker({ handlers: { t: { b: () => null, c: () => null } } });
    expect([...w.queues]).toEqual(['qb']);
    await w.close();
  });

  it('refuses the typed form on a legacy pipeline engine (no job types to route to)', () => {
    const d = createDalston({
      adapters: memoryAdapters(),
      pipeline: { build: () => [{ stage: 'a', queue: 'q' }] },
    });
    engines.push(d);
    const e = refusal(() => d.createWorker({ handlers: { default: { a: () => null } } } as never));
    expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: 'handlers.default' });
  });
});
