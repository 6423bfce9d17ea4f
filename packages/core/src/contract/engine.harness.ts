/**
 * Shared pieces of the whole-engine contract suite: the factory shape, a fresh engine
 * per test on the factory's adapters (own tenant and queue names, short real-time-safe
 * durations), and waits that let the fixture's time pass until a condition holds.
 */
import { expect } from 'vitest';
import type { DalstonConfigInput } from '../config.js';
import { createDalston, type Dalston } from '../create-dalston.js';
import type { Job, JobStatus } from '../domain/job.js';
import type { Task } from '../domain/task.js';
import type { TenantLimits } from '../domain/tenant.js';
import type { Logger } from '../ports/logger.js';
import type { JobMap } from '../services/jobs/job-definition.js';
import type { Pipeline } from '../services/jobs/pipeline.js';
import type { DalstonAdapters } from '../services/wiring/adapters.js';
import type { TimeControl } from './fixture.js';
import { eventually, randomName } from './harness.js';

export interface EngineFixture {
  adapters: DalstonAdapters;
  time: TimeControl;
  /** Releases what the fixture opened (the engine closes the adapters itself). */
  cleanup(): Promise<void>;
  /**
   * Capability: wipes every key of the fixture's work-queue store, epoch included (what a
   * Redis FLUSHALL does to it), when the set can. Tests of recovery from a wipe need it.
   */
  wipeQueue?: () => Promise<void>;
}

export type EngineFactory = () => Promise<EngineFixture>;

/** Durations every test starts from: short, yet safe on real servers. */
export const SUITE_CONFIG: DalstonConfigInput = {
  leaseMs: 1000,
  heartbeatMs: 100,
  maxDeliveries: 5,
  eventRelayDelayMs: 0,
  eventPollMs: 100,
  sessionTtlMs: 1000,
};

export interface EngineRun {
  dalston: Dalston;
  adapters: DalstonAdapters;
  time: TimeControl;
  tenantId: string;
  /** A fresh queue name per call (order-free tests on shared servers). */
  queue(): string;
  job(jobId: string): Promise<Job>;
  tasks(jobId: string): Promise<Record<string, Task>>;
  /** Waits (letting fixture time pass) until the job has one of the statuses. */
  waitFor(jobId: string, status: JobStatus | JobStatus[], timeoutMs?: number): Promise<Job>;
  /** Another engine on the same adapters: a second host process. */
  peer(): Dalston;
  /** The fixture's `wipeQueue` capability, when it has one. */
  wipeQueue?: () => Promise<void>;
}

export interface EngineOptions {
  /** The legacy single pipeline (job type `default`); or give `jobs`. */
  // biome-ignore lint/suspicious/noExplicitAny: pipelines of any parameter type
  pipeline?: Pipeline<any>;
  /** Job types (instead of `pipeline`). */
  jobs?: JobMap;
  config?: DalstonConfigInput;
  tenantLimits?: TenantLimits;
  /** The engine's logger (default silent). */
  logger?: Logger;
}

/** Builds an engine for one test, runs `body`, then closes everything. */
export async function withEngine(
  factory: EngineFactory,
  options: EngineOptions,
  body: (run: EngineRun) => Promise<void>,
): Promise<void> {
  const fixture = await factory();
  const config = { ...SUITE_CONFIG, ...options.config };
  const engines: Dalston[] = [];
  const make = () => {
    const d = createDalston({
      adapters: fixture.adapters,
      ...(options.jobs ? { jobs: options.jobs } : { pipeline: options.pipeline }),
      config,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    engines.push(d);
    return d;
  };
  const dalston = make();
  const tenantId = randomName('t');
  try {
    const created = await dalston.tenants.create({
      id: tenantId,
      name: tenantId,
      limits: options.tenantLimits ?? {},
    });
    expect(created.isOk()).toBe(true);
    await body(runOf(dalston, fixture, tenantId, make));
  } finally {
    for (const e of engines.reverse()) await e.close({ deadlineMs: 1000 });
    await fixture.cleanup();
  }
}

function runOf(dalston: Dalston, fixture: EngineFixture, tenantId: string, peer: () => Dalston): EngineRun {
  const job = async (jobId: string) => (await dalston.jobs.get(tenantId, jobId))._unsafeUnwrap();
  return {
    dalston,
    adapters: fixture.adapters,
    time: fixture.time,
    tenantId,
    queue: () => randomName('q'),
    job,
    tasks: async (jobId) => {
      const snapshot = await fixture.adapters.jobStore.getSnapshot(tenantId, jobId);
      return Object.fromEntries((snapshot?.tasks ?? []).map((t) => [t.stage, t]));
    },
    waitFor: async (jobId, status, timeoutMs = 5000) => {
      const wanted = Array.isArray(status) ? status : [status];
      let last: Job | undefined;
      await eventually(
        fixture.time,
        async () => {
          last = await job(jobId);
          return wanted.includes(last.status);
        },
        { timeoutMs, stepMs: 20 },
      ).catch(() => {
        throw new Error(`job ${jobId} did not reach ${wanted.join('|')} (is ${last?.status})`);
      });
      return last!;
    },
    peer,
    ...(fixture.wipeQueue ? { wipeQueue: fixture.wipeQueue } : {}),
  };
}

/** A promise with its resolve function, for handlers the test releases. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Resolves when the signal aborts. */
export const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

export { eventually, randomName };
