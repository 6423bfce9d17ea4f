/**
 * Fault tests on a Redis Sentinel set (1 primary, 1 replica, 3 sentinels, private, on free
 * ports) under the usual load: 4-task DAG jobs over 4 worker processes, 150 submitted
 * before the fault and 50 after it by the same host engine. No process is restarted:
 * blocked lease waits end, `READONLY` replies from a demoted primary are retried on the
 * new one, scripts are loaded again (NOSCRIPT) and subscriptions are re-established by
 * the adapter. Outcome read from PostgreSQL, S3 and Redis directly (support/scenario.ts).
 * Slow: skip locally with DALSTON_SKIP_SLOW_FAULTS=1 (never skipped on CI).
 */
import { afterEach, describe, expect } from 'vitest';
import { startSentinelSet, type TestSentinelSet } from '../../test-support/redis-sentinel.js';
import { verify } from './support/scenario.js';
import { slowFault } from './support/slow-faults.js';
import {
  runTopologyFault,
  startTopologyScenario,
  type TopologyScenario,
} from './support/topology-scenario.js';

const TIMEOUT = 300_000;
let scenario: TopologyScenario | null = null;
let set: TestSentinelSet | null = null;
afterEach(async () => {
  await scenario?.stop();
  await set?.stop();
  scenario = null;
  set = null;
});

async function start(name: string): Promise<{ s: TopologyScenario; set: TestSentinelSet }> {
  set = await startSentinelSet();
  scenario = await startTopologyScenario(name, { sentinels: set.sentinels, name: set.name });
  return { s: scenario, set };
}

describe.sequential('fault tests (Redis Sentinel): 200 jobs × 4-task DAG × 4 worker processes', () => {
  slowFault(
    'SIGKILL the primary mid-load: the replica is promoted, everyone carries on; the old primary returns as a replica',
    {
      timeout: TIMEOUT,
    },
    async () => {
      const { s, set } = await start('sentinel-failover');
      const old = await set.primaryPort();
      let promoted = 0;
      const { drainMs } = await runTopologyFault(s, async () => {
        await set.killServer(old);
        promoted = await set.waitForNewPrimary(old);
        expect(promoted).not.toBe(old);
        // The old primary comes back (empty, as a primary); Sentinel turns it into a replica.
        await set.startServer(old);
        await set.waitForReplica(old, promoted);
      });
      expect(await set.roleOf(promoted)).toBe('master');
      expect(await set.roleOf(old)).toBe('slave');
      await verify(s, drainMs);
    },
  );

  slowFault(
    'manual switchover (SENTINEL FAILOVER): the primary is demoted while clients hold connections to it',
    {
      timeout: TIMEOUT,
    },
    async () => {
      const { s, set } = await start('sentinel-switchover');
      const old = await set.primaryPort();
      const { drainMs } = await runTopologyFault(s, async () => {
        await set.failover();
        const promoted = await set.waitForNewPrimary(old);
        await set.waitForReplica(old, promoted);
      });
      expect(await set.roleOf(old)).toBe('slave');
      await verify(s, drainMs);
    },
  );
});
