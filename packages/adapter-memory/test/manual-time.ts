/** A ManualClock fixture for the contract suites: advancing time fires the clock's timers. */
import { ManualClock } from '@dalston/core/adapter';
import type { PortFactory, TimeControl } from '@dalston/core/contract';

export function manualTime(clock: ManualClock): TimeControl {
  return { now: () => clock.now(), advance: (ms) => clock.advance(ms) };
}

/** A factory building a port on a fresh ManualClock, closed on cleanup. */
export function manualFactory<T extends { close(): Promise<void> }>(
  build: (clock: ManualClock) => T,
): PortFactory<T> {
  return async () => {
    const clock = new ManualClock();
    const port = build(clock);
    return { port, time: manualTime(clock), cleanup: () => port.close() };
  };
}
