/**
 * Random job runs for the property tests: random DAGs and random occurrence sequences
 * (fresh and stale refs) applied through the harness's CAS store, then driven to the end.
 */
import fc from 'fast-check';
import type { AttemptRef, Decision, JobSnapshot, Occurrence } from '../../src/domain/change.js';
import { isTerminalJobStatus } from '../../src/domain/job.js';
import type { Task, TaskSpec } from '../../src/domain/task.js';
import { decide } from '../../src/domain/transitions.js';
import { apply, ctxAt, newSnapshot, T0 } from './harness.js';

const dagArb = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        deps: fc.subarray(Array.from({ length: i }, (_, k) => k)),
        required: fc.boolean(),
        maxAttempts: fc.integer({ min: 1, max: 3 }),
      }),
    ),
  ),
);

const toSpecs = (dag: { deps: number[]; required: boolean; maxAttempts: number }[]): TaskSpec[] =>
  dag.map((t, i) => ({
    stage: `s${i}`,
    queue: 'q',
    dependsOn: t.deps.map((k) => `s${k}`),
    required: t.required,
    maxAttempts: t.maxAttempts,
    backoff: { kind: 'exponential', baseMs: 1, maxMs: 20, jitter: 1 },
  }));

type FencedKind = 'complete' | 'fail' | 'timeout' | 'cancelled' | 'progress' | 'infraFailure';
type Op =
  | { op: 'start'; pick: number; leaseMs: number }
  | { op: FencedKind; pick: number; stale: boolean; retryable: boolean }
  | { op: 'leaseLost'; pick: number; stale: boolean }
  | { op: 'deadLettered'; pick: number }
  | { op: 'cancel' }
  | { op: 'retry' }
  | { op: 'advance'; ms: number };

const pick = fc.nat(63);
const fencedKinds: FencedKind[] = ['complete', 'fail', 'timeout', 'cancelled', 'progress', 'infraFailure'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('start' as const),
      pick,
      leaseMs: fc.integer({ min: 1, max: 10 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constantFrom(...fencedKinds),
      pick,
      stale: fc.boolean(),
      retryable: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('leaseLost' as const), pick, stale: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('deadLettered' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retry' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 50 }) }),
  },
);

export interface Step {
  prev: JobSnapshot;
  occ: Occurrence;
  decision: Decision;
  next: JobSnapshot;
  now: number;
  /** The occurrence named a ref that was not the task's current one. */
  stale: boolean;
}

export interface Run {
  steps: Step[];
  final: JobSnapshot;
}

const refOf = (t: Task): AttemptRef | null =>
  t.status === 'running' && t.leaseToken
    ? { taskId: t.id, attempt: t.attempt, leaseToken: t.leaseToken }
    : null;

class Simulation {
  s: JobSnapshot;
  now = T0;
  token = 0;
  issued: AttemptRef[] = [];
  steps: Step[] = [];

  constructor(
    specs: TaskSpec[],
    private readonly random: number,
  ) {
    this.s = newSnapshot(specs);
  }

  run(occ: Occurrence, stale = false): void {
    const decision = decide(
      this.s,
      occ,
      ctxAt(this.now, {
        random: () => this.random,
        maxLostLeases: 2,
        maxStoreInterruptions: 3,
        storeRetryBackoff: { kind: 'exponential', baseMs: 1, maxMs: 20, jitter: 1 },
      }),
    );
    const next = decision.change ? apply(this.s, decision.change) : this.s;
    this.steps.push({ prev: this.s, occ, decision, next, now: this.now, stale });
    this.s = next;
  }

  /** The i-th task among those in `statuses` (any task when none is). */
  among(i: number, ...statuses: Task['status'][]): Task {
    const c = this.s.tasks.filter((t) => statuses.includes(t.status));
    return c.length > 0 ? c[i % c.length]! : this.s.tasks[i % this.s.tasks.length]!;
  }

  staleRef(i: number): AttemptRef {
    const t = this.s.tasks[i % this.s.tasks.length]!;
    const old = this.issued.filter(
      (r) => r.taskId === t.id && !(r.attempt === t.attempt && r.leaseToken === t.leaseToken),
    );
    return (
      old[i % Math.max(1, old.length)] ?? { taskId: t.id, attempt: t.attempt, leaseToken: 'never-issued' }
    );
  }

  start(taskId: string, leaseMs: number): void {
    const leaseToken = `lt${++this.token}`;
    this.run({ kind: 'start', taskId, leaseToken, leaseExpiresAt: this.now + leaseMs });
    const t = this.s.tasks.find((x) => x.id === taskId)!;
    if (t.status === 'running' && t.leaseToken === leaseToken)
      this.issued.push({ taskId, attempt: t.attempt, leaseToken });
  }

  fenced(o: Extract<Op, { retryable: boolean }>): void {
    const ref = o.stale ? this.staleRef(o.pick) : refOf(this.among(o.pick, 'running'));
    if (!ref) return;
    const error = { code: 'E', message: 'x' };
    const occ: Occurrence =
      o.op === 'complete'
        ? { kind: 'complete', ...ref, output: { n: o.pick } }
        : o.op === 'fail'
          ? { kind: 'fail', ...ref, error, retryable: o.retryable }
          : o.op === 'progress'
            ? { kind: 'progress', ...ref, progress: { pct: o.pick } }
            : o.op === 'infraFailure'
              ? { kind: 'infraFailure', ...ref, error: { code: 'STORE_UNAVAILABLE', message: 'x' } }
              : { kind: o.op, ...ref };
    this.run(occ, o.stale);
  }

  leaseLost(pickIndex: number, stale: boolean): void {
    const t = stale ? this.s.tasks[pickIndex % this.s.tasks.length]! : this.among(pickIndex, 'running');
    // The reconciler only reports leases that have expired by its clock.
    if (!stale && t.status === 'running') this.now = Math.max(this.now, t.leaseExpiresAt ?? this.now);
    this.run({ kind: 'leaseLost', taskId: t.id, attempt: t.attempt - (stale ? 1 : 0) }, stale);
  }

  apply(o: Op): void {
    if (o.op === 'advance') this.now += o.ms;
    else if (o.op === 'start') this.start(this.among(o.pick, 'ready', 'running').id, o.leaseMs);
    else if (o.op === 'leaseLost') this.leaseLost(o.pick, o.stale);
    else if (o.op === 'deadLettered') {
      const t = this.s.tasks[o.pick % this.s.tasks.length]!;
      this.run({ kind: 'deadLettered', taskId: t.id, reason: 'max deliveries' });
    } else if (o.op === 'cancel') this.run({ kind: 'cancel', reason: 'user' });
    else if (o.op === 'retry') this.run({ kind: 'retry' });
    else this.fenced(o);
  }

  /** Starts every startable task and finishes every running one (failing per `fails`) until the job ends. */
  drive(fails: boolean[]): void {
    let k = 0;
    for (let round = 0; round < 500 && !isTerminalJobStatus(this.s.job.status); round++) {
      const before = this.steps.length;
      const due = this.s.tasks.filter((t) => t.status === 'ready').map((t) => t.notBefore ?? this.now);
      if (due.length > 0) this.now = Math.max(this.now, Math.min(...due));
      for (const t of this.s.tasks) {
        if (t.status === 'ready' && (t.notBefore ?? this.now) <= this.now) this.start(t.id, 1000);
      }
      for (const t of this.s.tasks) {
        const ref = refOf(t);
        if (!ref) continue;
        if (fails[k++ % fails.length])
          this.run({ kind: 'fail', ...ref, error: { code: 'E', message: 'x' }, retryable: true });
        else this.run({ kind: 'complete', ...ref, output: t.stage });
      }
      if (this.steps.length === before) this.now += 1;
    }
  }
}

/** A random run: random ops, then driven to the end; optionally a retry of a failed job and a second drive. */
export const runArb: fc.Arbitrary<Run> = fc
  .record({
    dag: dagArb,
    ops: fc.array(opArb, { maxLength: 60 }),
    driveFails: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
    random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    retryAtEnd: fc.boolean(),
  })
  .map(({ dag, ops, driveFails, random, retryAtEnd }) => {
    const sim = new Simulation(toSpecs(dag), random);
    for (const o of ops) sim.apply(o);
    sim.drive(driveFails);
    if (retryAtEnd && sim.s.job.status === 'failed') {
      sim.run({ kind: 'retry' });
      sim.drive(driveFails.map((f) => !f));
    }
    return { steps: sim.steps, final: sim.s };
  });
