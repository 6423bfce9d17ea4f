/** Redis helpers for the benchmarks: clients and cleanup of one run's keys (never FLUSHALL). */
import { Redis } from 'ioredis';

export function redisClient(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, enableAutoPipelining: false });
  client.on('error', () => {});
  return client;
}

/** Deletes every key matching `pattern` (SCAN + UNLINK). Returns how many were removed. */
export async function deleteKeys(client: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) removed += await client.unlink(...keys);
  } while (cursor !== '0');
  return removed;
}

/** `host` and `port` of a redis:// URL, for libraries that open their own connections (BullMQ). */
export function redisConnection(url: string): { host: string; port: number; db: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0) };
}

/** Total commands the server processed so far (INFO stats), to count commands per operation. */
export async function commandsProcessed(client: Redis): Promise<number> {
  const info = await client.info('stats');
  const m = /total_commands_processed:(\d+)/.exec(info);
  return m ? Number(m[1]) : Number.NaN;
}
