/**
 * API instances for end-to-end tests: each runs `engine-entry.ts` (with tsx) in its own
 * Node process on an `EngineTarget`, accepts submits over HTTP and runs maintenance; its
 * stdout carries the pass log (see engine-entry.ts), parsed here by `passes()`.
 * `overlappingPasses()` finds two runs of the same pass whose exclusive sections overlap.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type EngineTarget, targetToEnv } from './engine.js';

const ENTRY = fileURLToPath(new URL('./engine-entry.ts', import.meta.url));

export interface PassRun {
  pid: number;
  name: string;
  start: number;
  end: number;
}

export interface EngineProcess {
  readonly pid: number;
  /** Resolves with the HTTP port once the child printed `ready <port>`. */
  readonly ready: Promise<number>;
  /** POST /jobs; resolves with the job id or the error code the instance answered. */
  submit(input: { tenantId: string; parameters?: unknown }): Promise<{ id?: string; code?: string }>;
  /** Passes this instance ran (from its pass log so far). */
  passes(): PassRun[];
  /** How many times this instance found a pass held by another instance. */
  skipped(): number;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnEngine(
  target: EngineTarget,
  options: { maintenanceMs?: number; scheduleMs?: number } = {},
): EngineProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env,
      ...targetToEnv(target),
      DALSTON_E2E_MAINTENANCE_MS: String(options.maintenanceMs ?? 500),
      DALSTON_E2E_SCHEDULE_MS: String(options.scheduleMs ?? 1000),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let other = '';
  let markReady!: (port: number) => void;
  let failReady!: (e: Error) => void;
  const ready = new Promise<number>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined);
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      const m = /^ready (\d+)$/.exec(line);
      if (m) markReady(Number(m[1]));
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    if (other.length < 20_000) other += d.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      failReady(new Error(`engine ${child.pid} exited (${code ?? signal}) before ready: ${other}`));
      resolve();
    });
  });
  const pid = child.pid!;
  return {
    pid,
    ready,
    submit: async (input) => {
      const port = await ready;
      const res = await fetch(`http://127.0.0.1:${port}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      return (await res.json()) as { id?: string; code?: string };
    },
    passes: () =>
      lines.flatMap((line) => {
        const m = /^pass (\S+) ran ([\d.]+) ([\d.]+)$/.exec(line);
        return m ? [{ pid, name: m[1]!, start: Number(m[2]), end: Number(m[3]) }] : [];
      }),
    skipped: () => lines.filter((line) => / skipped /.test(line)).length,
    output: () => `${lines.slice(-50).join('\n')}\n${other}`,
    stop: async (graceMs = 5000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Pairs of runs of the same pass, by different or the same process, that overlap in time. */
export function overlappingPasses(runs: readonly PassRun[]): [PassRun, PassRun][] {
  const out: [PassRun, PassRun][] = [];
  const byName = new Map<string, PassRun[]>();
  for (const r of runs) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const list of byName.values()) {
    list.sort((a, b) => a.start - b.start);
    // Sorted by start: a run overlaps an earlier one iff it starts before the latest end so far.
    let latest: PassRun | null = null;
    for (const run of list) {
      if (latest && run.start < latest.end) out.push([latest, run]);
      if (!latest || run.end > latest.end) latest = run;
    }
  }
  return out;
}
