/**
 * The rule for the engine's own store calls during an attempt (recording the outcome,
 * progress, lease extension) and for store failures a handler meets through its context:
 * STORE_UNAVAILABLE is infrastructure, not the handler's fault. The engine's own calls are
 * retried here with a capped exponential backoff within a time budget; a store failure
 * that ends the handler is recognised by `StoreFaults` and re-runs the attempt without
 * spending its failure budget (the `infraFailure` occurrence).
 */
import { DalstonError } from '../../domain/errors.js';
import { readProperty } from '../../domain/storable.js';
import type { Clock } from '../../ports/clock.js';

/**
 * A STORE_UNAVAILABLE DalstonError. Recognised by name and code as well as by class, so an
 * error from an adapter that loaded another copy of `@dalston/core` (ESM and CJS) counts.
 * Never throws, whatever `e` is.
 */
export const isStoreUnavailable = (e: unknown): e is DalstonError =>
  readProperty(e, 'code') === 'STORE_UNAVAILABLE' &&
  (readProperty(e, 'name') === 'DalstonError' || safeInstanceOf(e, DalstonError));

/** `e instanceof C` that never throws (a Proxy's getPrototypeOf trap may). */
export function safeInstanceOf(e: unknown, C: abstract new (...args: never[]) => unknown): boolean {
  try {
    return e instanceof C;
  } catch {
    return false;
  }
}

/** Delay before retry `n` (1-based) of an engine store call: 50 ms doubling, capped at 2 s. */
export const storeRetryDelay = (n: number): number => Math.min(2000, 50 * 2 ** Math.max(0, n - 1));

export interface StoreRetryOptions {
  clock: Clock;
  /** Stop retrying once this much clock time has passed since the first failure. */
  budgetMs: number;
  /** Stop retrying when this aborts (the last error is rethrown). */
  signal?: AbortSignal;
  onRetry?: (error: DalstonError, attempt: number) => void;
}

/**
 * Runs `call`, retrying it while it rejects with STORE_UNAVAILABLE and the budget lasts.
 * Any other rejection, or the last STORE_UNAVAILABLE, is rethrown unchanged.
 */
export async function retryStoreCall<T>(call: () => Promise<T>, options: StoreRetryOptions): Promise<T> {
  const { clock, budgetMs, signal } = options;
  let firstFailure: number | null = null;
  for (let n = 1; ; n++) {
    try {
      return await call();
    } catch (e) {
      if (!isStoreUnavailable(e) || signal?.aborted) throw e;
      firstFailure ??= clock.now();
      const delay = storeRetryDelay(n);
      if (clock.now() + delay - firstFailure > budgetMs) throw e;
      options.onRetry?.(e, n);
      await clock.sleep(delay, signal).catch(() => undefined);
      if (signal?.aborted) throw e;
    }
  }
}

const MAX_CAUSE_DEPTH = 8;

/**
 * What the engine's store calls made on a handler's behalf (`ctx.artifacts.*`) saw during
 * one attempt. A value the handler throws is a store fault when it is, or has in its
 * `cause` chain, a STORE_UNAVAILABLE error (however the handler wrapped or rethrew it); or
 * when the handler's last store call through its context failed with STORE_UNAVAILABLE
 * and it then threw anything but a TaskFailure (a handler that replaced the error with
 * its own, losing the cause). A TaskFailure without a store fault in its cause chain is
 * the handler's own verdict and stays one.
 */
export class StoreFaults {
  private lastCallFailed = false;

  /** Wraps one store call made through the handler's context. */
  track<T>(call: Promise<T>): Promise<T> {
    return call.then(
      (value) => {
        this.lastCallFailed = false;
        return value;
      },
      (e: unknown) => {
        this.lastCallFailed = isStoreUnavailable(e);
        throw e;
      },
    );
  }

  /** The STORE_UNAVAILABLE error behind `thrown`, or null when the handler failed on its own. */
  faultBehind(thrown: unknown, isTaskFailure: boolean): DalstonError | null {
    let x: unknown = thrown;
    for (let depth = 0; depth < MAX_CAUSE_DEPTH && x !== null && typeof x === 'object'; depth++) {
      if (isStoreUnavailable(x)) return x;
      try {
        x = (x as { cause?: unknown }).cause;
      } catch {
        break;
      }
    }
    if (this.lastCallFailed && !isTaskFailure) {
      return new DalstonError('STORE_UNAVAILABLE', 'a store call of the handler failed before it threw');
    }
    return null;
  }
}
