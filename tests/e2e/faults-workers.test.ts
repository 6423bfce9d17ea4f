/**
 * Fault tests, worker side: 200 jobs with a 4-task DAG over 4 worker processes, with no
 * fault (baseline), one worker process SIGKILLed mid-task, and a poison task whose handler
 * kills its worker process every time (the harness respawns crashed workers). Each test
 * starts its own redis-server and s3rver on free ports and a schema of its own, kills only
 * its own pids, and checks the outcome by reading the stores directly (support/scenario.ts).
 * Sequential: each test already runs several Node processes on a small machine.
 */
import type { JsonObject } from '@dalston/core';
import { afterEach, describe, expect, it } from 'vitest';
import { runFault, type Scenario, verify } from './support/scenario.js';

const TIMEOUT = 300_000;
const holder: { current: Scenario | null } = { current: null };
afterEach(async () => {
  await holder.current?.stop();
  holder.current = null;
});

describe.sequential('fault tests (workers): 200 jobs × 4-task DAG × 4 worker processes', () => {
  it('baseline: no fault', { timeout: TIMEOUT }, async () => {
    const { s, drainMs } = await runFault('baseline', holder, async () => {});
    await verify(s, drainMs);
  });

  it('SIGKILL one worker process in the middle of its tasks', { timeout: TIMEOUT }, async () => {
    const { s, drainMs } = await runFault(
      'sigkill-worker',
      holder,
      async (sc) => {
        const victim = sc.pool.live[0]!;
        victim.kill('SIGKILL');
        expect((await victim.exited).signal).toBe('SIGKILL');
      },
      // Handlers outlive startWriteDelayMs (50 ms), so the victim's tasks are `running` with
      // their task lease written when it dies: the lost-lease recovery is what runs here.
      { params: () => ({ sleepMs: 200 }), respawn: false },
    );
    expect(s.pool.live).toHaveLength(3);
    const rerun = await s.host.inspect.sql(
      `SELECT id FROM ${s.host.inspect.t('tasks')} WHERE lost_leases > 0`,
    );
    expect(rerun.length, 'tasks the killed worker held were re-run elsewhere').toBeGreaterThan(0);
    await verify(s, drainMs);
  });

  it('a poison task crashes its worker process every time: dead-lettered with its reason, the rest completes', {
    timeout: TIMEOUT,
  }, async () => {
    const POISON = 7;
    const { s, drainMs } = await runFault('poison', holder, async () => {}, {
      params: (i): JsonObject => (i === POISON ? { crash: 'always', crashStage: 'diarize' } : {}),
      // Concurrency 2: a crash takes at most one innocent task down with the poison one,
      // and needs 4 lost leases in a row to fail it, while the poison task fails at its 4th.
      spec: { concurrency: 2, maxLostLeases: 3, maxDeliveries: 4 },
      warm: 0,
    });
    const [poison] = await s.host.inspect.sql<{
      id: string;
      error: { code: string; message: string; stage: string };
    }>(`SELECT id, error FROM ${s.host.inspect.t('jobs')} WHERE parameters->>'n' = $1`, [String(POISON)]);
    expect(s.pool.respawned, 'worker processes killed by the poison task').toBeGreaterThanOrEqual(3);
    const tasks = await s.host.inspect.sql<{
      stage: string;
      status: string;
      error: { code: string; message: string } | null;
    }>(`SELECT stage, status, error FROM ${s.host.inspect.t('tasks')} WHERE job_id = $1 ORDER BY position`, [
      poison!.id,
    ]);
    const diarize = tasks.find((t) => t.stage === 'diarize')!;
    expect(diarize.status).toBe('failed');
    expect(['LEASE_LOST', 'DEAD_LETTERED']).toContain(diarize.error?.code);
    expect(diarize.error?.message).toMatch(/lease lost|deliver/i);
    expect(poison!.error).toMatchObject({ code: diarize.error!.code, stage: 'diarize' });
    expect(tasks.find((t) => t.stage === 'merge')!.status).toBe('cancelled');
    await verify(s, drainMs, new Set([poison!.id]));
  });
});
