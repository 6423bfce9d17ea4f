/**
 * Faults on a private redis-server (never the shared one): killed mid-test, every call
 * fails fast with STORE_UNAVAILABLE and nothing hangs; restarted (empty, script cache
 * lost), the adapter recovers by itself, reloads its scripts (NOSCRIPT) and the event bus
 * resubscribes.
 */
import type { DalstonEvent } from '@dalston/core/adapter';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startRedisServer } from '../../../test-support/redis.js';
import { type RedisAdapters, redisAdapters } from '../src/index.js';
import { message, waitFor } from './support.js';

let server: PrivateRedis;
let adapters: RedisAdapters;
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
  adapters = redisAdapters({ url: server.url, prefix: 'faults', logger });
  await adapters.workQueue.ping();
});
afterAll(async () => {
  await adapters?.close();
  await server?.stop();
});

const event = (n: number): DalstonEvent => ({
  id: n,
  type: 'task.progress',
  tenantId: 't1',
  jobId: 'j1',
  taskId: null,
  sessionId: null,
  payload: { n },
  correlationId: null,
  at: Date.now(),
});

/** Resolves with how long the call took and its error code. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; code: string | undefined }> {
  const t0 = Date.now();
  try {
    await call();
    return { ms: Date.now() - t0, code: undefined };
  } catch (e) {
    return { ms: Date.now() - t0, code: (e as { code?: string }).code };
  }
}

describe('Redis killed and restarted', () => {
  it('fails fast with STORE_UNAVAILABLE while down, then recovers by itself (scripts reloaded)', async () => {
    const { workQueue, sessionStore, rateLimitStore, eventBus } = adapters;
    const received: number[] = [];
    await eventBus.subscribe({ tenantId: 't1' }, (e) => received.push(e.id));
    await workQueue.enqueue([message('jobs')]);
    await eventBus.publish([event(1)]);
    await waitFor(() => received.includes(1));
    const blocked = timed(() => workQueue.lease(['empty'], { leaseMs: 1000, waitMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 100));

    await server.kill();
    const calls = await Promise.all([
      timed(() => workQueue.enqueue([message('jobs')])),
      timed(() => workQueue.lease(['jobs'], { leaseMs: 1000, waitMs: 0 })),
      timed(() => workQueue.stats('jobs')),
      timed(() => sessionStore.get('t1', 's1')),
      timed(() => rateLimitStore.hit('k', { algorithm: 'fixed', limit: 5, windowMs: 1000 })),
      timed(() => eventBus.publish([event(2)])),
    ]);
    for (const c of calls) {
      expect(c.code).toBe('STORE_UNAVAILABLE');
      expect(c.ms).toBeLessThan(2500);
    }
    // The waiting lease does not hang on the dead connection.
    const waited = await blocked;
    expect(waited.code).toBe('STORE_UNAVAILABLE');
    expect(waited.ms).toBeLessThan(5000);

    await server.restart(); // empty: data and script cache are gone
    await waitFor(async () => (await timed(() => workQueue.ping())).code === undefined, 10_000);
    expect(await workQueue.stats('jobs')).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
    expect(await workQueue.enqueue([message('jobs')])).toBe(1); // EVALSHA → NOSCRIPT → EVAL
    const lease = await workQueue.lease(['jobs'], { leaseMs: 1000, waitMs: 1000 });
    expect(lease).not.toBeNull();
    expect((await rateLimitStore.hit('k', { algorithm: 'gcra', limit: 5, windowMs: 1000 })).allowed).toBe(
      true,
    );

    // The subscriber reconnected and resubscribed by itself.
    await waitFor(async () => {
      await eventBus.publish([event(3)]);
      await new Promise((r) => setTimeout(r, 50));
      return received.includes(3);
    }, 10_000);
  });

  it('a malformed pub/sub message is dropped with a warning, never passed on', async () => {
    const received: number[] = [];
    const sub = await adapters.eventBus.subscribe({ tenantId: 'm1' }, (e) => received.push(e.id));
    const raw = new Redis(server.url);
    await raw.publish('faults:ev:m1', '{"not":"an event"}');
    await raw.publish('faults:ev:m1', 'not json at all');
    await adapters.eventBus.publish([{ ...event(9), tenantId: 'm1' }]);
    await waitFor(() => received.length === 1);
    expect(received).toEqual([9]);
    expect(warnings.filter((w) => w.includes('malformed')).length).toBe(2);
    await sub.unsubscribe();
    raw.disconnect();
  });
});
