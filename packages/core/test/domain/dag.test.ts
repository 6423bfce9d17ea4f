import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topologicalOrder, validatePipeline } from '../../src/domain/dag.js';

const fieldOf = (specs: unknown) => {
  const r = validatePipeline(specs);
  if (r.isOk()) throw new Error('expected an error');
  expect(r.error.code).toBe('VALIDATION_FAILED');
  return r.error.field;
};

describe('validatePipeline', () => {
  it('fills defaults and orders topologically', () => {
    const r = validatePipeline([
      { stage: 'merge', queue: 'cpu', dependsOn: ['a', 'b'] },
      { stage: 'a', queue: 'gpu' },
      { stage: 'b', queue: 'gpu', dependsOn: ['a'], required: false, maxAttempts: 5 },
    ]);
    const specs = r._unsafeUnwrap();
    expect(specs.map((s) => s.stage)).toEqual(['a', 'b', 'merge']);
    expect(specs[0]).toEqual({
      stage: 'a',
      queue: 'gpu',
      dependsOn: [],
      required: true,
      maxAttempts: 3,
      timeoutMs: 300_000,
      backoff: { kind: 'exponential', baseMs: 1000, maxMs: 60_000, jitter: 1 },
      priority: 0,
      input: null,
    });
    expect(specs[1]).toMatchObject({ required: false, maxAttempts: 5 });
  });

  it('keeps the original order among independent stages', () => {
    const r = validatePipeline([
      { stage: 'c', queue: 'q' },
      { stage: 'b', queue: 'q' },
      { stage: 'a', queue: 'q' },
    ]);
    expect(r._unsafeUnwrap().map((s) => s.stage)).toEqual(['c', 'b', 'a']);
  });

  it('refuses non-arrays, empty and oversized pipelines', () => {
    expect(fieldOf(null)).toBe('pipeline');
    expect(fieldOf([])).toBe('pipeline');
    const many = Array.from({ length: 101 }, (_, i) => ({ stage: `s${i}`, queue: 'q' }));
    expect(fieldOf(many)).toBe('pipeline');
    expect(validatePipeline(many.slice(0, 100)).isOk()).toBe(true);
  });

  it.each([
    [[{ stage: 'Bad', queue: 'q' }], 'pipeline[0].stage'],
    [[{ stage: '1a', queue: 'q' }], 'pipeline[0].stage'],
    [[{ stage: 'a'.repeat(64), queue: 'q' }], 'pipeline[0].stage'],
    [[{ stage: 'a', queue: 'q q' }], 'pipeline[0].queue'],
    [[{ stage: 'a', queue: 'q', maxAttempts: 0 }], 'pipeline[0].maxAttempts'],
    [[{ stage: 'a', queue: 'q', maxAttempts: 101 }], 'pipeline[0].maxAttempts'],
    [[{ stage: 'a', queue: 'q', maxAttempts: 1.5 }], 'pipeline[0].maxAttempts'],
    [[{ stage: 'a', queue: 'q', timeoutMs: 0 }], 'pipeline[0].timeoutMs'],
    [[{ stage: 'a', queue: 'q', timeoutMs: 86_400_001 }], 'pipeline[0].timeoutMs'],
    [[{ stage: 'a', queue: 'q', priority: 1001 }], 'pipeline[0].priority'],
    [[{ stage: 'a', queue: 'q', priority: -1001 }], 'pipeline[0].priority'],
    [[{ stage: 'a', queue: 'q', backoff: { kind: 'fixed', delayMs: -1 } }], 'pipeline[0].backoff.delayMs'],
    [
      [{ stage: 'a', queue: 'q', backoff: { kind: 'exponential', baseMs: 10, maxMs: 5, jitter: 0 } }],
      'pipeline[0].backoff.maxMs',
    ],
    [
      [{ stage: 'a', queue: 'q', backoff: { kind: 'exponential', baseMs: 10, maxMs: 50, jitter: 2 } }],
      'pipeline[0].backoff.jitter',
    ],
    [[{ stage: 'a', queue: 'q', input: { n: Number.NaN } }], 'pipeline[0].input'],
    [[{ stage: 'a', queue: 'q', dependOn: ['x'] }], 'pipeline[0]'],
    [[{ stage: 'a', queue: 'q' }, 'nope'], 'pipeline[1]'],
  ])('refuses a bad field (%#)', (specs, field) => {
    expect(fieldOf(specs)).toBe(field);
  });

  it('refuses duplicate stages, unknown and self dependencies', () => {
    expect(
      fieldOf([
        { stage: 'a', queue: 'q' },
        { stage: 'a', queue: 'q' },
      ]),
    ).toBe('pipeline[1].stage');
    expect(
      fieldOf([
        { stage: 'a', queue: 'q' },
        { stage: 'b', queue: 'q', dependsOn: ['zz'] },
      ]),
    ).toBe('pipeline[1].dependsOn');
    expect(fieldOf([{ stage: 'a', queue: 'q', dependsOn: ['a'] }])).toBe('pipeline[0].dependsOn');
    expect(
      fieldOf([
        { stage: 'a', queue: 'q' },
        { stage: 'b', queue: 'q', dependsOn: ['a', 'a'] },
      ]),
    ).toBe('pipeline[1].dependsOn');
  });

  it('reports a cycle with its path', () => {
    const r = validatePipeline([
      { stage: 'root', queue: 'q' },
      { stage: 'a', queue: 'q', dependsOn: ['root', 'c'] },
      { stage: 'b', queue: 'q', dependsOn: ['a'] },
      { stage: 'c', queue: 'q', dependsOn: ['b'] },
    ]);
    const e = r._unsafeUnwrapErr();
    expect(e.field).toMatch(/^pipeline\[[123]\]\.dependsOn$/);
    expect(e.message).toMatch(/cycle: (a|b|c) -> .* -> \1/);
    const cycle = e.details?.cycle as string[];
    expect(new Set(cycle)).toEqual(new Set(['a', 'b', 'c']));
  });
});

describe('topologicalOrder', () => {
  it('orders and detects cycles', () => {
    expect(topologicalOrder([{ stage: 'b', dependsOn: ['a'] }, { stage: 'a' }])._unsafeUnwrap()).toEqual([
      { stage: 'a' },
      { stage: 'b', dependsOn: ['a'] },
    ]);
    expect(
      topologicalOrder([
        { stage: 'a', dependsOn: ['b'] },
        { stage: 'b', dependsOn: ['a'] },
      ])._unsafeUnwrapErr(),
    ).toEqual(['a', 'b', 'a']);
  });
});

describe('validatePipeline (properties)', () => {
  const graph = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.record({
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 16 }),
      perm: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    }),
  );

  it('orders every acyclic graph topologically and reports a real cycle otherwise', () => {
    fc.assert(
      fc.property(graph, ({ edges, perm }) => {
        const deps = new Map(perm.map((i) => [i, new Set<number>()]));
        for (const [a, b] of edges) if (a !== b) deps.get(a)!.add(b);
        const specs = perm.map((i) => ({
          stage: `s${i}`,
          queue: 'q',
          dependsOn: [...deps.get(i)!].map((d) => `s${d}`),
        }));
        const r = validatePipeline(specs);
        if (r.isOk()) {
          const pos = new Map(r.value.map((s, k) => [s.stage, k]));
          expect(r.value).toHaveLength(specs.length);
          for (const s of r.value)
            for (const d of s.dependsOn) expect(pos.get(d)!).toBeLessThan(pos.get(s.stage)!);
        } else {
          const cycle = r.error.details?.cycle as string[];
          expect(cycle[0]).toBe(cycle.at(-1));
          for (let k = 0; k + 1 < cycle.length; k++) {
            const from = specs.find((s) => s.stage === cycle[k])!;
            expect(from.dependsOn).toContain(cycle[k + 1]);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
