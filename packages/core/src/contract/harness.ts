/**
 * Small helpers the contract suites share: a fresh fixture per test, random names so
 * tests are order-free, and waits that poll a condition up to a deadline (by letting the
 * fixture's time pass) instead of assuming instant delivery.
 */
import { randomBytes } from 'node:crypto';
import type { PortFactory, PortFixture, TimeControl } from './fixture.js';

/** A random lower-case name, e.g. `q-3f9a1c0b2e`. Safe as a queue, key segment or id. */
export const randomName = (prefix: string): string => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Builds a fresh fixture, runs `body`, and always calls cleanup. */
export async function withFixture<T>(
  factory: PortFactory<T>,
  body: (fixture: PortFixture<T>) => Promise<void>,
): Promise<void> {
  const fixture = await factory();
  try {
    await body(fixture);
  } finally {
    await fixture.cleanup();
  }
}

/**
 * Polls `check` (which throws or returns false while the condition does not hold) until
 * it holds, letting `stepMs` of the fixture's time pass between attempts. Fails with the
 * last error after `timeoutMs` of that time.
 */
export async function eventually(
  time: TimeControl,
  check: () => unknown | Promise<unknown>,
  options: { timeoutMs?: number; stepMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const stepMs = options.stepMs ?? 10;
  let waited = 0;
  let lastError: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      lastError = new Error('condition still false');
    } catch (e) {
      lastError = e;
    }
    if (waited >= timeoutMs) throw lastError;
    await time.advance(stepMs);
    waited += stepMs;
  }
}

/** A promise whose outcome can be inspected without awaiting it. */
export interface Tracked<T> {
  readonly settled: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
  readonly promise: Promise<T>;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const state: { settled: boolean; value: T | undefined; error: unknown; promise: Promise<T> } = {
    settled: false,
    value: undefined,
    error: undefined,
    promise,
  };
  promise.then(
    (v) => {
      state.settled = true;
      state.value = v;
    },
    (e) => {
      state.settled = true;
      state.error = e;
    },
  );
  return state;
}

/** Waits (by letting time pass) until the tracked promise settles, then returns its value. */
export async function settle<T>(time: TimeControl, tracked: Tracked<T>, timeoutMs = 2000): Promise<T> {
  await eventually(time, () => tracked.settled, { timeoutMs });
  return tracked.promise;
}

/** Lets the event loop run a few turns without moving the fixture's clock. */
export async function yieldTurns(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
