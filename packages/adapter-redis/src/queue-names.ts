/**
 * WorkQueue.queueNames on Redis: the queues holding something, found by scanning the keys
 * of this prefix (every primary of a Cluster). A queue's `ready`, `delayed`, `leased` and
 * `dead` keys exist only while they hold members (Redis deletes empty ones), so a queue
 * with any of them holds a live message or a dead letter. A SCAN walks the whole keyspace
 * in steps of 1000: an operator's call, never on a hot path.
 */
import type { Redis } from 'ioredis';
import { isCluster } from './connection.js';
import type { RedisClient } from './scripts.js';

const HOLDING_PARTS = new Set(['ready', 'delayed', 'leased', 'dead']);

/** Undoes KeyLayout's escaping of a name (`%XX` → the character). */
const unescapeName = (s: string): string =>
  s.replace(/%([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));

export async function scanQueueNames(client: RedisClient, prefix: string): Promise<string[]> {
  const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  const head = `{${prefix}:q:`;
  const names = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const end = key.lastIndexOf('}:');
        if (end < head.length || !HOLDING_PARTS.has(key.slice(end + 2))) continue;
        names.add(unescapeName(key.slice(head.length, end)));
      }
    } while (cursor !== '0');
  }
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
