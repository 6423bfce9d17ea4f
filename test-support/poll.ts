/**
 * `pollUntil`: the one real-time poll loop of the tests and benchmarks. Calls `check` until
 * it returns a truthy value (which it resolves to), waiting `everyMs` between calls, and
 * rejects after `timeoutMs` naming `what`, with the last error `check` threw as its cause.
 * (The contract suite ships its own waits in @dalston/core/contract: `eventually` lets the
 * fixture's time pass instead of real time.)
 */
export interface PollOptions {
  /** Give up after this many milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Pause between calls, in milliseconds. Default 10. */
  everyMs?: number;
  /** What is awaited, for the timeout message. Default 'condition'. */
  what?: string;
}

export async function pollUntil<T>(
  check: () => T | Promise<T>,
  options: PollOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const { timeoutMs = 5_000, everyMs = 10, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
