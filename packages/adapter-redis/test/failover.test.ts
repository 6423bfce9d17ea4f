/**
 * Failover at the adapter level, on private servers (never the shared one):
 * - a Sentinel set (1 primary, 1 replica, 3 sentinels) through the `sentinel` option: after
 *   a switchover (`SENTINEL FAILOVER`) and after the primary is SIGKILLed, a lease that was
 *   waiting when it happened ends (it never hangs), scripts run on the new primary
 *   (NOSCRIPT → EVAL), a new waiting lease wakes on enqueue and the subscription receives
 *   events published after the failover. Writes land on the new primary (read raw).
 * - a primary demoted by hand (`REPLICAOF`, clients kept): writes answered READONLY end
 *   with STORE_UNAVAILABLE within the command timeout instead of hanging, and work again
 *   once it is a primary again.
 * - a Cluster through the `cluster` option, each master restarted empty in turn: the epoch
 *   changes every time (not only when the master holding `{prefix:epoch}` restarts) and
 *   the event subscription stays live.
 */
import type { DalstonEvent } from '@dalston/core/adapter';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../../test-support/redis.js';
import { type RestartableCluster, startRestartableCluster } from '../../../test-support/redis-cluster.js';
import { startSentinelSet, type TestSentinelSet } from '../../../test-support/redis-sentinel.js';
import { slotOfTag } from '../src/cluster-epoch.js';
import { KeyLayout, type RedisAdapters, redisAdapters } from '../src/index.js';
import { message, waitFor } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const event = (id: number): DalstonEvent => ({
  id,
  type: 'task.progress',
  tenantId: 't1',
  jobId: 'j1',
  taskId: null,
  sessionId: null,
  payload: { id },
  correlationId: null,
  at: Date.now(),
});

async function settle(p: Promise<unknown>): Promise<{ ms: number; outcome: string }> {
  const t0 = Date.now();
  const outcome = await p.then(
    (v) => (v === null ? 'null' : 'value'),
    (e: { code?: string }) => e.code ?? 'error',
  );
  return { ms: Date.now() - t0, outcome };
}

/**
 * A lease that was waiting on `idle` through the failover is not stranded on a dead or
 * demoted server: once a message is enqueued there (on the new primary) it takes it or
 * ends within a few seconds, long before its own 20 s wait would end.
 */
async function expectWaitNotStranded(
  adapters: RedisAdapters,
  blocked: Promise<{ ms: number; outcome: string }>,
) {
  // The client reaches the new primary through Sentinel; under a loaded CI machine that has
  // taken over 15 s (what is asserted is the wait after the enqueue, below).
  await waitFor(async () => {
    try {
      await adapters.workQueue.enqueue([message('idle')]);
      return true;
    } catch {
      return false;
    }
  }, 30_000);
  const enqueuedAt = Date.now();
  const waited = await blocked;
  const after = Date.now() - enqueuedAt;
  expect(after, `the waiting lease ended ${after} ms after the enqueue (${waited.outcome})`).toBeLessThan(
    5000,
  );
}

/** Everything a failover must not break, checked on `adapters` after it. */
async function expectWorkingAfterFailover(adapters: RedisAdapters, received: number[], primaryPort: number) {
  const { workQueue, eventBus, rateLimitStore } = adapters;
  // Commands may fail while the client moves; the first success must come soon.
  await waitFor(async () => {
    try {
      await workQueue.enqueue([message('after')]);
      return true;
    } catch {
      return false;
    }
  }, 15_000);
  const raw = new Redis(primaryPort);
  try {
    expect(await raw.zcard(new KeyLayout('fo').queue('after')[0]!)).toBeGreaterThan(0);
  } finally {
    raw.disconnect();
  }
  expect(await workQueue.lease(['after'], { leaseMs: 5000, waitMs: 1000 })).not.toBeNull();
  expect((await rateLimitStore.hit('k', { algorithm: 'gcra', limit: 5, windowMs: 1000 })).allowed).toBe(true);
  // A new waiting lease wakes on enqueue.
  const waiting = workQueue.lease(['wake'], { leaseMs: 5000, waitMs: 10_000 });
  await new Promise((r) => setTimeout(r, 100));
  await workQueue.enqueue([message('wake')]);
  expect(await settle(waiting)).toMatchObject({ outcome: 'value' });
  // The subscription was re-established: an event published now arrives.
  await waitFor(async () => {
    await eventBus.publish([event(2)]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    return received.includes(2);
  }, 15_000);
}

describe('Redis Sentinel through the sentinel option', () => {
  async function setUp(): Promise<{ set: TestSentinelSet; adapters: RedisAdapters; received: number[] }> {
    const set = await startSentinelSet();
    cleanups.push(() => set.stop());
    const adapters = redisAdapters({ sentinel: { sentinels: set.sentinels, name: set.name }, prefix: 'fo' });
    cleanups.push(() => adapters.close());
    const received: number[] = [];
    await adapters.eventBus.subscribe({ tenantId: 't1' }, (e) => received.push(e.id));
    await adapters.workQueue.enqueue([message('before')]);
    await adapters.eventBus.publish([event(1)]);
    await waitFor(() => received.includes(1));
    return { set, adapters, received };
  }

  it('switchover (SENTINEL FAILOVER): waits end, writes follow the new primary, events still arrive', {
    timeout: 60_000,
  }, async () => {
    const { set, adapters, received } = await setUp();
    const old = await set.primaryPort();
    const epoch = await adapters.workQueue.epoch();
    expect(await adapters.workQueue.epoch()).toBe(epoch);
    const blocked = settle(adapters.workQueue.lease(['idle'], { leaseMs: 1000, waitMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 100));
    await set.failover();
    const promoted = await set.waitForNewPrimary(old);
    await expectWaitNotStranded(adapters, blocked);
    await expectWorkingAfterFailover(adapters, received, promoted);
    // The old primary may have acknowledged writes after the promotion (lost at its
    // demotion): the epoch changes, so the reconciler re-enqueues every ready task.
    expect(await adapters.workQueue.epoch()).not.toBe(epoch);
    await set.waitForReplica(old, promoted);
  });

  it('primary SIGKILLed: the replica is promoted and the same adapters carry on', {
    timeout: 60_000,
  }, async () => {
    const { set, adapters, received } = await setUp();
    const old = await set.primaryPort();
    const epoch = await adapters.workQueue.epoch();
    const blocked = settle(adapters.workQueue.lease(['idle'], { leaseMs: 1000, waitMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 100));
    await set.killServer(old);
    const promoted = await set.waitForNewPrimary(old);
    await expectWaitNotStranded(adapters, blocked);
    await expectWorkingAfterFailover(adapters, received, promoted);
    expect(await adapters.workQueue.epoch()).not.toBe(epoch);
  });
});

describe('a primary demoted while clients hold connections (READONLY)', () => {
  it('writes end with STORE_UNAVAILABLE within the command timeout, then work once it is primary again', {
    timeout: 30_000,
  }, async () => {
    const [a, b] = [await startRedisServer(), await startRedisServer()];
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    const adapters = redisAdapters({ url: a.url, prefix: 'ro', commandTimeoutMs: 500 });
    cleanups.push(() => adapters.close());
    await adapters.workQueue.enqueue([message('q')]);
    const raw = new Redis(a.port);
    cleanups.push(async () => raw.disconnect());
    await raw.replicaof('127.0.0.1', String(b.port));
    await waitFor(async () => /master_link_status:up/.test(await raw.info('replication')), 10_000);
    const write = await settle(adapters.workQueue.enqueue([message('q')]));
    expect(write.outcome).toBe('STORE_UNAVAILABLE');
    expect(write.ms).toBeLessThan(3000);
    await raw.replicaof('NO', 'ONE');
    expect(await adapters.workQueue.enqueue([message('q')])).toBe(1);
  });
});

describe('Redis Cluster through the cluster option: each master restarted empty in turn', () => {
  let cluster: RestartableCluster;

  it('the epoch changes with any one master (tags on the right slots); pub/sub survives', {
    timeout: 60_000,
  }, async () => {
    cluster = await startRestartableCluster();
    cleanups.push(() => cluster.stop());
    const raw = new Redis(cluster.ports[0]!);
    cleanups.push(async () => raw.disconnect());
    for (const tag of ['foo', 'dalston:epoch:0', 'a-b.c:epoch:17', '123456789']) {
      expect(slotOfTag(tag)).toBe(await raw.cluster('KEYSLOT', tag));
    }
    const adapters = redisAdapters({ cluster: { nodes: cluster.nodes }, prefix: 'ep' });
    cleanups.push(() => adapters.close());
    const received: number[] = [];
    await adapters.eventBus.subscribe({ tenantId: 't1' }, (e) => received.push(e.id));
    const first = await adapters.workQueue.epoch();
    expect(first.split('+')).toHaveLength(3);
    expect(await adapters.workQueue.epoch()).toBe(first);
    let previous = first;
    for (const port of cluster.ports) {
      await cluster.kill(port);
      await cluster.start(port);
      await cluster.waitOk();
      let now = previous;
      await waitFor(async () => {
        now = await adapters.workQueue.epoch().catch(() => previous);
        return now !== previous;
      }, 15_000);
      expect(now.split('+')).toHaveLength(3);
      expect(now.split('+').filter((m, i) => m !== previous.split('+')[i])).toHaveLength(1);
      previous = now;
      // Whichever node the subscriber used, the subscription is still (or again) live.
      const id = port;
      await waitFor(async () => {
        await adapters.eventBus.publish([event(id)]).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
        return received.includes(id);
      }, 15_000);
    }
  });
});
