/**
 * Many API instances and worker processes in one test: two engine processes accept the
 * submits (over HTTP, half each) and both run maintenance every 100 ms; four worker
 * processes (no maintenance of their own) run the 4-task DAG of 200 jobs. Same outcome
 * checks as the fault tests (support/scenario.ts `verify`: read from PostgreSQL, S3 and
 * Redis directly): 0 lost, 0 duplicate completions, no leaked slot, every job terminal.
 * From the two instances' pass logs: both ran passes, each found passes held by the other,
 * and no two runs of the same pass ever overlapped in time.
 *
 * Slow (about a minute): DALSTON_SKIP_SLOW_FAULTS=1 skips it locally, saying so; CI runs it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineProcess, overlappingPasses, spawnEngine } from '../../test-support/engine-process.js';
import { drain } from './support/host.js';
import { type Scenario, startScenario, verify } from './support/scenario.js';
import { SKIP_SLOW_FAULTS } from './support/slow-faults.js';

const SKIP = SKIP_SLOW_FAULTS;
if (SKIP) {
  console.warn(
    '[many-instances] SKIPPED: DALSTON_SKIP_SLOW_FAULTS=1 is set (unset it to run this slow test; CI runs it)',
  );
}

const TIMEOUT = 300_000;
const JOBS = 200;
let scenario: Scenario | null = null;
const engines: EngineProcess[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await scenario?.stop();
  scenario = null;
});

describe.sequential('many instances: 2 API instances + 4 worker processes, 200 jobs × 4-task DAG', () => {
  it.skipIf(SKIP)(
    'every job completes once, no slot leaks, and one maintenance pass runs at a time across the instances',
    { timeout: TIMEOUT },
    async () => {
      const s = await startScenario('many-instances', { spec: { maintenanceMs: 0 } });
      scenario = s;
      engines.push(
        spawnEngine(s.target, { maintenanceMs: 100 }),
        spawnEngine(s.target, { maintenanceMs: 100 }),
      );
      await Promise.all(engines.map((e) => e.ready));

      // Half the submits through each instance, 8 in flight.
      const byEngine = engines.map(() => 0);
      let next = 0;
      const one = async () => {
        for (let i = next++; i < JOBS; i = next++) {
          const r = await engines[i % 2]!.submit({ tenantId: s.host.tenantId, parameters: { n: i } });
          expect(r.code, `submit ${i}`).toBeUndefined();
          s.jobIds.push(r.id!);
          byEngine[i % 2]!++;
        }
      };
      await Promise.all(Array.from({ length: 8 }, one));
      expect(byEngine).toEqual([JOBS / 2, JOBS / 2]);

      const drainMs = await drain(s.host.inspect, 180_000);
      await verify(s, drainMs);
      expect(s.pool.respawned).toBe(0);

      // The pass log of both instances.
      const runs = engines.flatMap((e) => e.passes());
      const overlaps = overlappingPasses(runs);
      const ran = engines.map((e) => e.passes().length);
      const skipped = engines.map((e) => e.skipped());
      const names = [...new Set(runs.map((r) => r.name))].sort();
      console.log(
        `[many-instances] passes ran=${ran.join('+')} skipped=${skipped.join('+')} overlaps=${overlaps.length} ` +
          `names=${names.join(',')}`,
      );
      for (const [i, e] of engines.entries()) {
        expect(ran[i], `passes run by instance ${e.pid}: ${e.output()}`).toBeGreaterThan(0);
      }
      expect(skipped[0]! + skipped[1]!, 'passes found held by the other instance').toBeGreaterThan(0);
      expect(names).toEqual(expect.arrayContaining(['dalston:relay', 'dalston:requeue', 'dalston:leases']));
      expect(overlaps).toEqual([]);
    },
  );
});

describe('overlappingPasses (the pass-log check above)', () => {
  const run = (pid: number, name: string, start: number, end: number) => ({ pid, name, start, end });
  it('finds two runs of the same pass that overlap, whichever process, and only those', () => {
    const a = run(1, 'dalston:relay', 0, 10);
    const b = run(2, 'dalston:relay', 5, 7);
    const c = run(2, 'dalston:relay', 9.5, 12);
    const back = run(1, 'dalston:relay', 12, 13);
    const other = run(2, 'dalston:leases', 1, 20);
    expect(overlappingPasses([c, other, b, a, back])).toEqual([
      [a, b],
      [a, c],
    ]);
    expect(overlappingPasses([a, back, other])).toEqual([]);
  });
});
