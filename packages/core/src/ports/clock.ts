/**
 * Clock: the only source of time for services and memory adapters. The memory adapter
 * ships a manual clock so lease, TTL and window tests run instantly. Deliberately leaves
 * out calendars and time zones: everything is epoch milliseconds.
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
  /**
   * Calls `fn` once after `ms` milliseconds of this clock's time. Returns a function
   * that cancels the timer (idempotent). Timers must not keep the process alive.
   */
  setTimer(fn: () => void, ms: number): () => void;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
