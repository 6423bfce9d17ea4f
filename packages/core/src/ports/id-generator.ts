/**
 * IdGenerator: makes ids for jobs, tasks, sessions, keys and leases. Ids are opaque
 * strings of at most 64 characters from `[A-Za-z0-9_-]`. Ids made by one generator sort
 * in creation order (byte-wise), so keyset pagination may use them as a tie-breaker.
 */
export interface IdGenerator {
  /** A new unique id, optionally with a short kind prefix (`job`, `tsk`, …). */
  next(kind?: string): string;
}
