/**
 * PortLifecycle: the two methods every port has, whatever it stores.
 *
 * - `ping()` probes the backing store with the cheapest real round trip (PostgreSQL
 *   `SELECT 1`, Redis `PING`, S3 `HeadBucket`; in memory a check that the port is open).
 *   It resolves when the store answers and rejects with STORE_UNAVAILABLE (`store` and
 *   `operation: 'ping'` in the error's details) when it does not. Health checks use it;
 *   it reads and writes no data.
 * - `close()` releases what the port itself opened (blocking connections, subscribers,
 *   timers) and ends pending waits. It does not end a pool or client shared by sibling
 *   ports or handed in by the host: that belongs to whoever created the adapter set
 *   (`postgresAdapters(...).close()`, `redisAdapters(...).close()`, `adaptersFromEnv().close()`,
 *   or the engine when given them with `createDalston({ owns })`). Idempotent: a second
 *   call resolves at once. Never rejects.
 *
 * After `close()`, `ping()` and the port's writes and waits reject at once with CLOSED
 * (`store` and `operation` in the details), without reaching the store. The memory and
 * PostgreSQL adapters refuse reads too; the contract suite checks ping and one write per port.
 */
export interface PortLifecycle {
  /** Reachability probe; rejects STORE_UNAVAILABLE when the store does not answer, CLOSED after close. */
  ping(): Promise<void>;
  /** Releases what this port opened (not a shared pool or client). Idempotent; never rejects. */
  close(): Promise<void>;
}
