import { describe, expect, it } from 'vitest';
import {
  describeThrown,
  storableText,
  toStorableJson,
  unstorableTextProblem,
} from '../../src/domain/storable.js';

const throwingProxy = () =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error('get');
      },
      getPrototypeOf: () => {
        throw new Error('proto');
      },
      ownKeys: () => {
        throw new Error('keys');
      },
    },
  );

describe('describeThrown', () => {
  it('never throws and never calls String() on an object', () => {
    expect(describeThrown(Object.create(null))).toBe('a non-error object was thrown');
    expect(describeThrown(throwingProxy())).toBe('a thrown value that could not be read');
    const getter = {
      get message(): string {
        throw new Error('no');
      },
    };
    expect(describeThrown(getter)).toBe('a thrown value that could not be read');
    expect(
      describeThrown({
        toString: () => 'x',
        [Symbol.toPrimitive]: () => {
          throw new Error('p');
        },
      }),
    ).toBe('a non-error object was thrown');
    expect(describeThrown(Symbol('s'))).toBe('non-error value thrown: Symbol(s)');
    expect(describeThrown(undefined)).toBe('non-error value thrown: undefined');
    expect(describeThrown(new Error('a\u0000b\ud800'))).toBe('a\uFFFDb\uFFFD');
    expect(describeThrown('plain')).toBe('plain');
  });
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates, keeps pairs, and never cuts a pair in two', () => {
    expect(storableText('a\u0000\udc00\ud83d\ude00\ud800x')).toBe('a\uFFFD\uFFFD\ud83d\ude00\uFFFDx');
    expect(storableText('ab\ud83d\ude00', 3)).toBe('ab');
    expect(unstorableTextProblem('ok \ud83d\ude00')).toBeNull();
    expect(unstorableTextProblem('\u0000')).toBe('NUL (U+0000)');
    expect(unstorableTextProblem('\ude00x')).toBe('a lone surrogate');
  });
});

describe('toStorableJson', () => {
  it('copies storable JSON and names the path of what is not', () => {
    const value = { a: [1, 'x', { b: null }], c: true };
    const copy = toStorableJson(value)._unsafeUnwrap();
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(toStorableJson({ a: [0, 'x\u0000'] }, 'output')._unsafeUnwrapErr()).toBe(
      'output.a[1] contains NUL (U+0000)',
    );
    expect(toStorableJson({ '\ud800': 1 }, 'output')._unsafeUnwrapErr()).toBe(
      'output has a key that contains a lone surrogate',
    );
    expect(toStorableJson({ n: Number.NaN })._unsafeUnwrapErr()).toBe('value.n is not a finite number');
    expect(toStorableJson(new Date(0))._unsafeUnwrapErr()).toBe('value is not a plain object');
    expect(toStorableJson({ u: undefined })._unsafeUnwrapErr()).toBe('value.u is a undefined, not JSON');
    expect(toStorableJson(throwingProxy(), 'output')._unsafeUnwrapErr()).toBe(
      'output could not be read (a getter or Proxy trap threw)',
    );
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 100; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    expect(toStorableJson(deep)._unsafeUnwrapErr()).toMatch(/nested deeper than 64/);
  });
});
