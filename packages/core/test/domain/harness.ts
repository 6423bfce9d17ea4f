/** Test harness for the state machine: a tiny store that applies JobChange with CAS. */
import type { DecideContext, Decision, JobChange, JobSnapshot, Occurrence } from '../../src/domain/change.js';
import type { TaskSpec } from '../../src/domain/task.js';
import { buildJob, decide } from '../../src/domain/transitions.js';

export const T0 = 1_700_000_000_000;

export const ctxAt = (now: number, overrides: Partial<DecideContext> = {}): DecideContext => ({
  now,
  random: () => 0.5,
  maxLostLeases: 3,
  ...overrides,
});

export function newSnapshot(specs: TaskSpec[], retentionDays = 7): JobSnapshot {
  let n = 0;
  const built = buildJob(
    {
      id: 'job_1',
      tenantId: 'ten_1',
      parameters: {},
      input: null,
      idempotencyKey: null,
      retentionDays,
      correlationId: 'corr_1',
      createdByKeyId: null,
      traceContext: null,
      now: T0,
    },
    specs,
    (kind) => `${kind}_${++n}`,
  );
  return { job: built.job, tasks: built.tasks };
}

/** Applies a change with compare-and-set; throws when a write does not match (a bug in decide). */
export function apply(s: JobSnapshot, change: JobChange): JobSnapshot {
  let job = s.job;
  if (change.job) {
    const e = change.job.expected;
    if (job.status !== e.status || job.version !== e.version) throw new Error('job CAS miss');
    job = change.job.next;
  }
  const tasks = s.tasks.map((t) => {
    const w = change.tasks.find((x) => x.next.id === t.id);
    if (!w) return t;
    const e = w.expected;
    if (t.status !== e.status || t.attempt !== e.attempt || t.leaseToken !== e.leaseToken) {
      throw new Error(`task CAS miss on ${t.stage}`);
    }
    return w.next;
  });
  return { job, tasks };
}

export interface Step {
  snapshot: JobSnapshot;
  decision: Decision;
}

/** Decides and applies one occurrence. */
export function step(s: JobSnapshot, occ: Occurrence, ctx: DecideContext): Step {
  const decision = decide(s, occ, ctx);
  return { snapshot: decision.change ? apply(s, decision.change) : s, decision };
}

export const taskOf = (s: JobSnapshot, stage: string) => {
  const t = s.tasks.find((x) => x.stage === stage);
  if (!t) throw new Error(`no task ${stage}`);
  return t;
};

export const eventTypes = (d: Decision): string[] => d.change?.events.map((e) => e.type) ?? [];

let tokens = 0;
/** Starts a stage with a fresh token; returns the new snapshot and the attempt ref. */
export function startStage(s: JobSnapshot, stage: string, now = T0, leaseMs = 30_000) {
  const task = taskOf(s, stage);
  const leaseToken = `lt_${++tokens}`;
  const r = step(
    s,
    { kind: 'start', taskId: task.id, leaseToken, leaseExpiresAt: now + leaseMs },
    ctxAt(now),
  );
  const after = taskOf(r.snapshot, stage);
  return { ...r, ref: { taskId: task.id, attempt: after.attempt, leaseToken } };
}
