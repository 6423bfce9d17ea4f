/**
 * Helpers shared by the store contract suites: a fresh fixture per test (created in
 * beforeEach, cleaned up in afterEach), an assertion on DalstonError codes, and the
 * hostile strings every text and JSON field must round-trip exactly.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import type { DalstonError, ErrorCode } from '../domain/errors.js';
import type { PortFactory, PortFixture } from './fixture.js';

/** Registers beforeEach/afterEach hooks; the returned getter gives the current test's fixture. */
export function useFixture<T>(factory: PortFactory<T>): () => PortFixture<T> {
  let current: PortFixture<T> | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    const fixture = current;
    current = undefined;
    await fixture?.cleanup();
  });
  return () => {
    if (!current) throw new Error('contract fixture used outside a test');
    return current;
  };
}

/** Asserts that `promise` rejects with a DalstonError carrying `code` (and `field` when given). */
export async function expectDalstonError(
  promise: Promise<unknown>,
  code: ErrorCode,
  field?: string,
): Promise<DalstonError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a DalstonError ${code}`).toBeInstanceOf(Error);
  const error = caught as DalstonError;
  expect(error.name).toBe('DalstonError');
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

/**
 * Strings that break naive quoting, encodings or size assumptions. No NUL and no lone
 * surrogates: no store can keep them (see `store-text.ts` for how every set refuses them).
 */
export const HOSTILE_STRINGS: readonly string[] = [
  "'",
  '"double" and \'single\' quotes',
  "'; DROP TABLE x; --",
  'Robert"); DELETE FROM jobs; --',
  'back\\slash \\u0000 not a nul',
  '%_ LIKE wildcards *? $1 :name',
  '{"looks":"like json"}',
  'line\nbreak\r\ntab\t',
  'unicode: 日本語, العربية, Ελληνικά, ß',
  'emoji: 🎉 👩‍👩‍👧‍👦 🏳️‍🌈',
  '\u202Eright-to-left override',
  '   padded   ',
  '',
  'x'.repeat(100 * 1024),
];

/** Every hostile string, as both keys and values of one JSON object. */
export function hostileObject(): Record<string, string> {
  const out: Record<string, string> = {};
  HOSTILE_STRINGS.forEach((s, i) => {
    out[`k${i}:${s.slice(0, 64)}`] = s;
  });
  return out;
}

/**
 * Waits in real time (not the fixture's clock, so TTLs are not consumed) until `condition`
 * holds, for at most `timeoutMs`. For "the other call has reached the store" checks.
 */
export async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let turn = 0; !condition(); turn++) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise<void>((r) => (turn < 20 ? setImmediate(r) : setTimeout(r, 5)));
  }
}
