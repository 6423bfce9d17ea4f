/** Fixtures for running the contract suites on the memory set: a fresh store per test on a manual clock. */
import { ManualClock } from '@dalston/core/adapter';
import type { PortFactory, PortFixture } from '@dalston/core/contract';

export function memoryFixture<T>(
  build: (clock: ManualClock) => T,
  close?: (port: T) => Promise<void>,
): PortFactory<T> {
  return async (): Promise<PortFixture<T>> => {
    const clock = new ManualClock();
    const port = build(clock);
    return {
      port,
      time: { now: () => clock.now(), advance: (ms) => clock.advance(ms) },
      cleanup: async () => {
        await close?.(port);
      },
    };
  };
}
