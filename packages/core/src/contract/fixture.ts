/**
 * The harness every contract suite takes. A factory returns a fresh, isolated port
 * (its own key prefix, schema, object prefix or memory instance) plus a way to let
 * time pass: the memory set advances its manual clock (instant), real adapters sleep
 * for real (the suites use short durations and wait for conditions).
 */
import { guardPortNamed } from '../port-guard/index.js';
import type { DalstonAdapters, PortName } from '../services/wiring/adapters.js';

export interface TimeControl {
  /** The port's notion of now, epoch ms. */
  now(): number;
  /** Lets `ms` of the port's time pass. */
  advance(ms: number): Promise<void>;
}

export interface PortFixture<T> {
  port: T;
  time: TimeControl;
  /** Releases everything the fixture opened. */
  cleanup(): Promise<void>;
}

export type PortFactory<T> = () => Promise<PortFixture<T>>;

/** Real-time control for adapters on real servers. */
export const realTime: TimeControl = {
  now: () => Date.now(),
  advance: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * `factory` with each fixture's port behind core's port guard (`guardPortNamed`), the way
 * `createDalston` uses ports: argument checks (VALIDATION_FAILED) and the wrapping of
 * store failures (STORE_UNAVAILABLE) are core's, so the suites test them once, in core,
 * and adapters need not repeat them.
 */
export function guardedFactory<N extends PortName>(
  name: N,
  factory: PortFactory<DalstonAdapters[N]>,
): PortFactory<DalstonAdapters[N]> {
  return async () => {
    const fixture = await factory();
    return { ...fixture, port: guardPortNamed(name, fixture.port) };
  };
}
