/**
 * The event bus on the wire, on a private redis-server (its command counts are ours alone):
 * one `publish` sends one PUBLISH per channel it touches (the events as one JSON array,
 * in order), a single event still travels as one object, and a subscriber reads both,
 * dropping only the malformed elements of an array. Publish checks what it routes by.
 */
import { type DalstonEvent, guardPortNamed } from '@dalston/core/adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedisServer } from '../../../test-support/redis.js';
import { type RedisAdapters, redisAdapters } from '../src/index.js';
import { waitFor } from './support.js';

let server: PrivateRedis;
let adapters: RedisAdapters;
let raw: Redis;
const warnings: string[] = [];
const logger = {
  debug() {},
  info() {},
  warn: (m: string) => void warnings.push(m),
  error() {},
  child() {
    return logger;
  },
};

beforeAll(async () => {
  server = await startRedisServer();
  adapters = redisAdapters({ url: server.url, prefix: 'wire', logger });
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw?.disconnect();
  await adapters?.close();
  await server?.stop();
});

const event = (n: number, tenantId: string, jobId: string | null): DalstonEvent => ({
  id: n,
  type: 'task.progress',
  tenantId,
  jobId,
  taskId: null,
  sessionId: null,
  payload: { n },
  correlationId: null,
  at: Date.UTC(2026, 0, 1) + n,
});

async function publishCalls(): Promise<number> {
  const info = await raw.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('RedisEventBus on the wire', () => {
  it('sends one PUBLISH per channel per call, the events in order', async () => {
    const tenant = await adapters.eventBus.subscribe({ tenantId: 'w1' }, (e) => all.push(e.id));
    const job = await adapters.eventBus.subscribe({ tenantId: 'w1', jobId: 'j1' }, (e) => onlyJ1.push(e.id));
    const all: number[] = [];
    const onlyJ1: number[] = [];
    const before = await publishCalls();
    // Two jobs and a tenant-only event: channels w1, w1:j1, w1:j2.
    await adapters.eventBus.publish([
      event(1, 'w1', 'j1'),
      event(2, 'w1', 'j2'),
      event(3, 'w1', 'j1'),
      event(4, 'w1', null),
      event(5, 'w1', 'j1'),
    ]);
    expect((await publishCalls()) - before).toBe(3);
    await waitFor(() => all.length === 5 && onlyJ1.length === 3);
    expect(all).toEqual([1, 2, 3, 4, 5]);
    expect(onlyJ1).toEqual([1, 3, 5]);
    await tenant.unsubscribe();
    await job.unsubscribe();
  });

  it('reads single events and arrays; drops only the malformed elements of an array', async () => {
    const received: number[] = [];
    const sub = await adapters.eventBus.subscribe({ tenantId: 'w2' }, (e) => received.push(e.id));
    const dropped = warnings.length;
    await raw.publish('wire:ev:w2', JSON.stringify(event(1, 'w2', null)));
    await raw.publish(
      'wire:ev:w2',
      JSON.stringify([event(2, 'w2', null), { not: 'an event' }, event(3, 'w2', 'x')]),
    );
    await waitFor(() => received.length === 3);
    expect(received).toEqual([1, 2, 3]);
    expect(warnings.slice(dropped).filter((w) => w.includes('malformed'))).toHaveLength(1);
    await sub.unsubscribe();
  });

  it("behind core's guard, refuses what it cannot route, naming the field", async () => {
    const bus = guardPortNamed('eventBus', adapters.eventBus);
    const bad = [
      [null, 'events[0]'],
      [{ ...event(1, 'w3', null), tenantId: '' }, 'events[0].tenantId'],
      [{ ...event(1, 'w3', null), jobId: 5 }, 'events[0].jobId'],
    ] as const;
    for (const [e, field] of bad) {
      await expect(bus.publish([e as unknown as DalstonEvent])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field,
      });
    }
  });
});
