/**
 * Figures one suite measures and another reuses in the same run (the memory suite compares
 * against the Redis figures of the queue and rate suites, and the flow figures), so each
 * is measured once.
 */
const figures = new Map<string, Promise<unknown>>();

/** The figure `key`, measured by `measure` the first time it is asked for. */
export function shared<T>(key: string, measure: () => Promise<T>): Promise<T> {
  let p = figures.get(key) as Promise<T> | undefined;
  if (!p) {
    p = measure();
    figures.set(key, p);
  }
  return p;
}
