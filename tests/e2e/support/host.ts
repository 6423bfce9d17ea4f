/**
 * The host side of an e2e test: an engine on `target` (the same pipeline and settings as
 * the worker processes) with a tenant of its own, a raw inspector, a bulk submitter and
 * waits that read PostgreSQL directly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDalston, type Dalston, type DalstonAdapters, type JsonObject } from '@dalston/core';
import {
  type EngineTarget,
  type Inspector,
  inspectTarget,
  realAdapters,
} from '../../../test-support/engine.js';
import { diamondPipeline, QUEUE_A, QUEUE_B } from '../../../test-support/worker-process.js';

export const E2E_CONFIG = {
  leaseMs: 1500,
  eventRelayDelayMs: 200,
  queues: [QUEUE_A, QUEUE_B],
  limits: { concurrentJobs: 10_000 },
  /** Short (2 s), so a test sees the resync free a slot whose holder died before committing. */
  slotResyncGraceMs: 2000,
};

/** Settings a test changes on top of E2E_CONFIG. */
export type HostConfig = Partial<NonNullable<Parameters<typeof createDalston>[0]['config']>>;

export interface Host {
  dalston: Dalston;
  adapters: DalstonAdapters;
  inspect: Inspector;
  tenantId: string;
  /** Submits `count` jobs, `parallel` at a time; parameters get `n` added. */
  submit(count: number, parameters?: (i: number) => JsonObject, parallel?: number): Promise<string[]>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function hostEngine(
  target: EngineTarget,
  options: { inspectRedisUrl?: string; maintenanceMs?: number; config?: HostConfig } = {},
): Promise<Host> {
  const real = await realAdapters(target);
  const config = { ...E2E_CONFIG, ...options.config };
  const dalston = createDalston({ adapters: real.adapters, pipeline: diamondPipeline, config });
  const tenantId = `tenant-${target.schema.slice(-10)}`;
  const inspect = inspectTarget(target, options.inspectRedisUrl ?? target.redisUrl);
  (
    await dalston.tenants.create({ id: tenantId, name: tenantId, limits: { concurrentJobs: 10_000 } })
  )._unsafeUnwrap();
  if (options.maintenanceMs) await dalston.maintenance.start({ intervalMs: options.maintenanceMs });
  return {
    dalston,
    adapters: real.adapters,
    inspect,
    tenantId,
    submit: async (count, parameters = () => ({}), parallel = 8) => {
      let next = 0;
      const ids: string[] = [];
      const one = async () => {
        for (let i = next++; i < count; i = next++) {
          const r = await dalston.jobs.submit({ tenantId, parameters: { n: i, ...parameters(i) } });
          ids.push(r._unsafeUnwrap().id);
        }
      };
      await Promise.all(Array.from({ length: parallel }, one));
      return ids;
    },
    close: async (o = {}) => {
      await dalston.close({ deadlineMs: 1000 });
      await real.close();
      if (o.keepData) await inspect.close();
      else await inspect.cleanup();
    },
  };
}

/** Waits until every job in PostgreSQL is terminal; returns how long that took (ms). */
export async function drain(inspect: Inspector, timeoutMs = 90_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const [row] = await inspect.sql<{ n: string }>(
      `SELECT count(*) AS n FROM ${inspect.t('jobs')} WHERE status NOT IN ('completed','failed','cancelled')`,
    );
    if (Number(row!.n) === 0) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${row!.n} jobs still not terminal after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until at least `count` tasks completed. */
export async function waitForCompletedTasks(
  inspect: Inspector,
  count: number,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await inspect.sql<{ n: string }>(
      `SELECT count(*) AS n FROM ${inspect.t('tasks')} WHERE status = 'completed'`,
    );
    if (Number(row!.n) >= count) return;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} tasks completed in ${timeoutMs} ms`);
    await sleep(50);
  }
}
