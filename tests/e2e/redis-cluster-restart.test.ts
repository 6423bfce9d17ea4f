/**
 * Fault test on a private three-master Redis Cluster (no replicas) under the usual load:
 * 4-task DAG jobs over 4 worker processes, 150 submitted before the fault and 50 after.
 * The master serving the first queue's slot is SIGKILLed; for 3 s its slots are
 * unavailable (the others keep serving: cluster-require-full-coverage no); it is started
 * again with its nodes.conf, rejoins with its slots, and is empty: that queue's messages
 * and leases, and whatever else hashed there, are lost. The per-master epoch makes the
 * reconciler re-enqueue every ready task. Nothing is restarted but that Redis node.
 * Slow: skip locally with DALSTON_SKIP_SLOW_FAULTS=1 (never skipped on CI).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyLayout } from '@dalston/adapter-redis';
import { afterEach, describe, expect } from 'vitest';
import { rawRedisOf } from '../../test-support/engine.js';
import { type RestartableCluster, startRestartableCluster } from '../../test-support/redis-cluster.js';
import { QUEUE_A, QUEUE_B } from '../../test-support/worker-process.js';
import { verify } from './support/scenario.js';
import { slowFault } from './support/slow-faults.js';
import {
  runTopologyFault,
  startTopologyScenario,
  type TopologyScenario,
} from './support/topology-scenario.js';

const TIMEOUT = 300_000;
let scenario: TopologyScenario | null = null;
let cluster: RestartableCluster | null = null;
afterEach(async () => {
  await scenario?.stop();
  await cluster?.stop();
  scenario = null;
  cluster = null;
});

describe.sequential('fault tests (Redis Cluster): 200 jobs × 4-task DAG × 4 worker processes', () => {
  slowFault(
    'SIGKILL one master mid-load, restart it empty 3 s later: it rejoins, the work is re-enqueued',
    {
      timeout: TIMEOUT,
    },
    async () => {
      cluster = await startRestartableCluster();
      const c = cluster;
      scenario = await startTopologyScenario('cluster-restart', { clusterNodes: c.nodes });
      const s = scenario;
      const keys = new KeyLayout(s.target.redisPrefix);
      // A master serving a queue but not the single `{prefix:epoch}` key, so only a
      // per-master epoch can tell the reconciler that this queue's data is gone.
      const epochNode = await c.masterOf(keys.epoch());
      const a = await c.masterOf(keys.queueSignal(QUEUE_A));
      const b = await c.masterOf(keys.queueSignal(QUEUE_B));
      const victim = a !== epochNode ? a : b !== epochNode ? b : a;
      const victimQueue = victim === a ? QUEUE_A : QUEUE_B;
      const raw = rawRedisOf(s.target);
      let lostReady = 0;
      const { drainMs } = await runTopologyFault(s, async () => {
        lostReady = await raw.zcard(keys.queue(victimQueue)[0]!);
        raw.disconnect();
        await c.kill(victim);
        await sleep(3000);
        await c.start(victim);
        await c.waitOk();
      });
      console.log(
        `[cluster-restart] victim serves ${victimQueue} (epoch key there too: ${victim === epochNode}); ready messages lost=${lostReady}`,
      );
      expect(lostReady, 'the killed master held ready messages').toBeGreaterThan(0);
      await verify(s, drainMs);
    },
  );
});
