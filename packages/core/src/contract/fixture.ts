/**
 * The harness every contract suite takes. A factory returns a fresh, isolated port
 * (its own key prefix, schema, object prefix or memory instance) plus a way to let
 * time pass: the memory set advances its manual clock (instant), real adapters sleep
 * for real (the suites use short durations and wait for conditions).
 */
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
