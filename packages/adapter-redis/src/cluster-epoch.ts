/**
 * The queue store's epoch on a Redis Cluster. One marker key cannot see a partial loss:
 * when one master restarts empty (no replica took over, no persistence), only the slots
 * it serves lose their data, and a marker stored elsewhere survives. So on a Cluster the
 * epoch is one marker per master, each in a key whose hash tag (`<prefix>:epoch:<n>`)
 * falls in a slot range that master serves; any master losing its data changes the
 * combined value, and the reconciler re-enqueues every ready task. A resharding that
 * changes the ranges only costs one full scan.
 */
import type { Cluster } from 'ioredis';
import { scripts } from './scripts.js';

const SLOTS = 16_384;

/** CRC16-XMODEM, the Cluster's key hash (Redis Cluster spec, appendix A). */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The slot of a key whose whole name is the hash tag content `tag`. */
export const slotOfTag = (tag: string): number => crc16(Buffer.from(tag, 'utf8')) % SLOTS;

type SlotRange = [start: number, end: number, master: [host: string, port: number, id?: string]];

/** Tags already found for a range (`start-end`): the search runs once per range. */
const tagCache = new Map<string, string>();

/** A tag `<prefix>:epoch:<n>` whose slot lies in [start, end] (exists for any range). */
function tagIn(prefix: string, start: number, end: number): string {
  const cacheKey = `${prefix}|${start}-${end}`;
  const cached = tagCache.get(cacheKey);
  if (cached) return cached;
  for (let n = 0; ; n++) {
    const tag = `${prefix}:epoch:${n}`;
    const slot = slotOfTag(tag);
    if (slot >= start && slot <= end) {
      tagCache.set(cacheKey, tag);
      return tag;
    }
  }
}

/**
 * One marker per master (created with `fresh()` where missing), joined in master order.
 * Rejects when a master is unreachable (the caller reports STORE_UNAVAILABLE).
 */
export async function clusterEpoch(client: Cluster, prefix: string, fresh: () => string): Promise<string> {
  const ranges = (await client.cluster('SLOTS')) as unknown as SlotRange[];
  const widest = new Map<string, SlotRange>();
  for (const r of ranges) {
    const master = r[2][2] ?? `${r[2][0]}:${r[2][1]}`;
    const seen = widest.get(master);
    if (!seen || r[1] - r[0] > seen[1] - seen[0]) widest.set(master, r);
  }
  const masters = [...widest.keys()].sort();
  const markers = await Promise.all(
    masters.map(async (m) => {
      const [start, end] = widest.get(m)!;
      const key = `{${tagIn(prefix, start, end)}}`;
      return String(await scripts.epoch.run(client, [key], [fresh()]));
    }),
  );
  return markers.join('+');
}
