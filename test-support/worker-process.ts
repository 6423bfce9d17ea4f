/**
 * Worker processes for end-to-end tests: each runs `worker-entry.ts` (with tsx) in its
 * own Node process, builds a real engine from `EngineTarget` environment variables, runs
 * maintenance on a timer and a worker whose handlers are driven by job parameters:
 *
 * - `sleepMs`: each stage sleeps that long (stopping early when its signal aborts);
 * - `crash: 'always'` with `crashStage`: that stage SIGKILLs its own process, every time;
 * - `fail: <stage>`: that stage throws a non-retryable TaskFailure (a job the test fails).
 *
 * Every stage writes `tasks/<stage>/out.json` through the engine's artifact helpers and
 * returns `{ stage, uri }`. The pool keeps `size` processes alive when `respawn` is on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Pipeline, TaskSpec } from '@dalston/core';
import { type EngineTarget, targetToEnv } from './engine.js';

export const QUEUE_A = 'e2e-a';
export const QUEUE_B = 'e2e-b';
export const STAGES = ['prepare', 'transcribe', 'diarize', 'merge'] as const;

const retry = { maxAttempts: 5, backoff: { kind: 'fixed', delayMs: 200 } } as const;

/** The 4-task diamond every e2e job runs: prepare → (transcribe ∥ diarize) → merge. */
export const diamondPipeline: Pipeline = {
  build: (): TaskSpec[] => [
    { stage: 'prepare', queue: QUEUE_A, ...retry },
    { stage: 'transcribe', queue: QUEUE_B, dependsOn: ['prepare'], ...retry },
    { stage: 'diarize', queue: QUEUE_B, dependsOn: ['prepare'], ...retry },
    { stage: 'merge', queue: QUEUE_A, dependsOn: ['transcribe', 'diarize'], ...retry },
  ],
};

export interface WorkerSpec {
  concurrency?: number;
  leaseMs?: number;
  /** Maintenance interval in the worker process; 0 = none. Default 500. */
  maintenanceMs?: number;
  maxLostLeases?: number;
  maxDeliveries?: number;
  /** Extra environment (e.g. DALSTON_E2E_CRASH_AT for a submitting child). */
  env?: Record<string, string>;
}

export interface WorkerProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the child printed `ready`. */
  readonly ready: Promise<void>;
  readonly output: () => string;
  kill(signal?: NodeJS.Signals): void;
}

const ENTRY = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));

export function specToEnv(spec: WorkerSpec): Record<string, string> {
  return {
    DALSTON_E2E_CONCURRENCY: String(spec.concurrency ?? 4),
    DALSTON_E2E_LEASE_MS: String(spec.leaseMs ?? 1500),
    DALSTON_E2E_MAINTENANCE_MS: String(spec.maintenanceMs ?? 500),
    DALSTON_E2E_MAX_LOST_LEASES: String(spec.maxLostLeases ?? 5),
    DALSTON_E2E_MAX_DELIVERIES: String(spec.maxDeliveries ?? 10),
    ...spec.env,
  };
}

/** Starts one child running `worker-entry.ts` in `role` ('worker' or 'submit'). */
export function spawnEntry(
  target: EngineTarget,
  spec: WorkerSpec = {},
  role: 'worker' | 'submit' = 'worker',
): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      ...targetToEnv(target),
      ...specToEnv(spec),
      DALSTON_E2E_ROLE: role,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let markReady!: () => void;
  let failReady!: (e: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);
  const append = (d: Buffer) => {
    if (out.length < 20_000) out += d.toString();
    if (/^ready$/m.test(out)) markReady();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      failReady(new Error(`worker ${child.pid} exited (${code ?? signal}) before ready: ${out}`));
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid!,
    exited,
    ready,
    output: () => out,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export interface WorkerPool {
  readonly live: WorkerProcess[];
  /** How many children died and were started again. */
  readonly respawned: number;
  /** Resolves when every current child is ready. */
  ready(): Promise<void>;
  /** SIGKILLs one live worker (by index), which the pool replaces when respawn is on. */
  killOne(index?: number): Promise<void>;
  /** Stops respawning, asks every child to finish (SIGTERM), SIGKILLs after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** `size` worker processes; a child that dies is started again while `respawn` holds. */
export function startWorkerPool(
  target: EngineTarget,
  size: number,
  spec: WorkerSpec = {},
  options: { respawn?: boolean } = {},
): WorkerPool {
  const live: WorkerProcess[] = [];
  let respawn = options.respawn ?? true;
  let respawned = 0;
  const launch = () => {
    const w = spawnEntry(target, spec);
    live.push(w);
    void w.exited.then(() => {
      live.splice(live.indexOf(w), 1);
      if (respawn) {
        respawned++;
        launch();
      }
    });
  };
  for (let i = 0; i < size; i++) launch();
  return {
    live,
    get respawned() {
      return respawned;
    },
    ready: async () => {
      await Promise.all(live.map((w) => w.ready));
    },
    killOne: async (index = 0) => {
      const w = live[index];
      if (!w) return;
      w.kill('SIGKILL');
      await w.exited;
    },
    stop: async (graceMs = 3000) => {
      respawn = false;
      const all = [...live];
      for (const w of all) w.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const w of all) w.kill('SIGKILL');
      }, graceMs);
      await Promise.all(all.map((w) => w.exited));
      clearTimeout(timer);
    },
  };
}
