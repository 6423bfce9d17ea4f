import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '../../src/domain/change.js';
import { buildJob, decide, parentOutputs } from '../../src/domain/transitions.js';
import { apply, ctxAt, eventTypes, newSnapshot, startStage, step, T0, taskOf } from './harness.js';

const DAY = 86_400_000;
const chain = () =>
  newSnapshot([
    { stage: 'a', queue: 'q' },
    { stage: 'b', queue: 'q', dependsOn: ['a'] },
  ]);

describe('buildJob', () => {
  it('makes a pending job, ready roots and pending dependents, with events', () => {
    const ids: string[] = [];
    const built = buildJob(
      {
        id: 'job_9',
        tenantId: 't',
        parameters: { lang: 'en' },
        input: 'mem://x',
        idempotencyKey: 'k',
        retentionDays: 0,
        correlationId: 'c',
        createdByKeyId: 'key_1',
        now: T0,
      },
      [
        { stage: 'a', queue: 'q' },
        { stage: 'b', queue: 'q', dependsOn: ['a'], required: false },
      ],
      (kind) => {
        ids.push(kind);
        return `${kind}_${ids.length}`;
      },
    );
    expect(built.job).toMatchObject({ id: 'job_9', status: 'pending', version: 1, input: 'mem://x' });
    expect(built.tasks.map((t) => [t.id, t.status, t.attempt, t.failures, t.lostLeases, t.version])).toEqual([
      ['tsk_1', 'ready', 1, 0, 0, 1],
      ['tsk_2', 'pending', 1, 0, 0, 1],
    ]);
    expect(built.tasks[1]).toMatchObject({ required: false, maxAttempts: 3, timeoutMs: 300_000 });
    expect(built.events.map((e) => [e.type, e.taskId, e.correlationId])).toEqual([
      ['job.created', null, 'c'],
      ['task.ready', 'tsk_1', 'c'],
    ]);
    expect(built.events[1]?.payload).toEqual({ stage: 'a', attempt: 1 });
  });
});

describe('decide: start', () => {
  it('starts a ready task and the job', () => {
    const s = chain();
    const r = startStage(s, 'a');
    // One event says both: the job's first task.started carries jobStarted.
    expect(eventTypes(r.decision)).toEqual(['task.started']);
    expect(r.decision.change!.events[0]!.payload).toEqual({ stage: 'a', attempt: 1, jobStarted: true });
    expect(taskOf(r.snapshot, 'a')).toMatchObject({
      status: 'running',
      leaseToken: r.ref.leaseToken,
      version: 2,
    });
    expect(r.snapshot.job).toMatchObject({ status: 'running', startedAt: T0, version: 2 });
    const w = r.decision.change!.tasks[0]!;
    expect(w.expected).toEqual({ status: 'ready', attempt: 1, leaseToken: null });
    expect(r.decision.change!.job!.expected).toEqual({ status: 'pending', version: 1 });
  });

  it('refuses pending, not-yet-due, live-leased, unknown and cancelling', () => {
    const s = chain();
    const start = (snap: JobSnapshot, id: string, now = T0) =>
      decide(snap, { kind: 'start', taskId: id, leaseToken: 'x', leaseExpiresAt: now + 1 }, ctxAt(now));
    expect(start(s, taskOf(s, 'b').id).reason).toBe('not_ready');
    expect(start(s, 'nope').reason).toBe('not_found');
    const running = startStage(s, 'a').snapshot;
    expect(start(running, taskOf(s, 'a').id).reason).toBe('stale');
    const delayed: JobSnapshot = { ...s, tasks: s.tasks.map((t) => ({ ...t, notBefore: T0 + 10 })) };
    expect(start(delayed, taskOf(s, 'a').id).reason).toBe('not_ready');
    expect(start(delayed, taskOf(s, 'a').id, T0 + 10).change).not.toBeNull();
    const cancelling = step(running, { kind: 'cancel', reason: 'x' }, ctxAt(T0)).snapshot;
    expect(cancelling.job.status).toBe('cancelling');
    expect(start(cancelling, taskOf(s, 'a').id, T0 + 999_999).change).toBeNull();
  });

  it('takes over a running task whose lease expired, as a new attempt', () => {
    const first = startStage(chain(), 'a', T0, 1000);
    const second = startStage(first.snapshot, 'a', T0 + 1000);
    const a = taskOf(second.snapshot, 'a');
    expect(a).toMatchObject({ status: 'running', attempt: 2, lostLeases: 1, failures: 0 });
    expect(a.leaseToken).toBe(second.ref.leaseToken);
    expect(second.decision.abort).toEqual([first.ref]);
    // The old holder is fenced out.
    const late = decide(second.snapshot, { kind: 'complete', ...first.ref, output: 1 }, ctxAt(T0 + 2000));
    expect(late.change).toBeNull();
    expect(late.reason).toBe('stale');
  });

  it('fails a task for good past maxLostLeases on take-over', () => {
    let s = chain();
    for (let i = 0; i < 3; i++) s = startStage(s, 'a', T0 + i * 10, 1).snapshot;
    expect(taskOf(s, 'a').lostLeases).toBe(2);
    s = startStage(s, 'a', T0 + 100).snapshot; // lostLeases 3: still allowed
    const r = startStage(s, 'a', T0 + 1_000_000);
    expect(taskOf(r.snapshot, 'a')).toMatchObject({ status: 'failed', error: { code: 'LEASE_LOST' } });
    expect(r.snapshot.job).toMatchObject({ status: 'failed', error: { code: 'LEASE_LOST', stage: 'a' } });
    expect(taskOf(r.snapshot, 'b').status).toBe('cancelled');
  });
});

describe('decide: progress and complete', () => {
  it('records progress as an event only, when fenced', () => {
    const r = startStage(chain(), 'a');
    const d = decide(r.snapshot, { kind: 'progress', ...r.ref, progress: { pct: 50 } }, ctxAt(T0));
    expect(d.change).toMatchObject({ job: null, tasks: [] });
    expect(d.change!.events[0]).toMatchObject({
      type: 'task.progress',
      payload: { stage: 'a', progress: { pct: 50 } },
    });
    const stale = decide(
      r.snapshot,
      { kind: 'progress', ...r.ref, leaseToken: 'other', progress: {} },
      ctxAt(T0),
    );
    expect(stale.reason).toBe('stale');
  });

  it('completes, promotes dependents, then completes the job with purgeAfter', () => {
    let r = startStage(chain(), 'a');
    let c = step(r.snapshot, { kind: 'complete', ...r.ref, output: { text: 'hi' } }, ctxAt(T0 + 5));
    expect(eventTypes(c.decision)).toEqual(['task.completed', 'task.ready']);
    expect(c.decision.enqueue.map((t) => t.stage)).toEqual(['b']);
    expect(taskOf(c.snapshot, 'a')).toMatchObject({
      status: 'completed',
      output: { text: 'hi' },
      leaseToken: null,
    });
    expect(c.decision.change!.events.some((e) => JSON.stringify(e.payload).includes('hi'))).toBe(false);
    r = startStage(c.snapshot, 'b', T0 + 6);
    c = step(r.snapshot, { kind: 'complete', ...r.ref, output: null }, ctxAt(T0 + 7));
    expect(eventTypes(c.decision)).toEqual(['task.completed', 'job.completed']);
    expect(c.snapshot.job).toMatchObject({
      status: 'completed',
      finishedAt: T0 + 7,
      purgeAfter: T0 + 7 + 7 * DAY,
    });
    const again = decide(c.snapshot, { kind: 'complete', ...r.ref, output: null }, ctxAt(T0 + 8));
    expect(again.reason).toBe('terminal');
  });

  it('derives purgeAfter from retention 0 and -1', () => {
    for (const [days, expected] of [
      [0, T0 + 1],
      [-1, null],
    ] as const) {
      const r = startStage(newSnapshot([{ stage: 'a', queue: 'q' }], days), 'a');
      const c = step(r.snapshot, { kind: 'complete', ...r.ref, output: 1 }, ctxAt(T0 + 1));
      expect(c.snapshot.job.purgeAfter).toBe(expected);
    }
  });
});

describe('decide: fail and timeout', () => {
  it('retries with backoff while attempts remain', () => {
    const r = startStage(chain(), 'a');
    const f = step(
      r.snapshot,
      { kind: 'fail', ...r.ref, error: { code: 'E', message: 'boom' }, retryable: true },
      ctxAt(T0 + 10, { random: () => 0 }),
    );
    const a = taskOf(f.snapshot, 'a');
    expect(a).toMatchObject({
      status: 'ready',
      attempt: 2,
      failures: 1,
      leaseToken: null,
      error: { code: 'E' },
    });
    expect(a.notBefore).toBe(T0 + 10); // full jitter, random 0
    expect(eventTypes(f.decision)).toEqual(['task.retrying']);
    expect(f.decision.change!.events[0]!.payload).toMatchObject({ delayMs: 0, attempt: 2 });
    expect(f.decision.enqueue.map((t) => t.id)).toEqual([a.id]);
  });

  it('fails a required task for good: job failed, others cancelled and aborted', () => {
    let s = newSnapshot([
      { stage: 'a', queue: 'q', maxAttempts: 1 },
      { stage: 'x', queue: 'q' },
      { stage: 'y', queue: 'q', dependsOn: ['a'] },
    ]);
    const ra = startStage(s, 'a');
    const rx = startStage(ra.snapshot, 'x');
    s = rx.snapshot;
    const f = step(s, { kind: 'timeout', ...ra.ref }, ctxAt(T0 + 1));
    expect(taskOf(f.snapshot, 'a')).toMatchObject({
      status: 'failed',
      failures: 1,
      error: { code: 'TIMEOUT' },
    });
    expect(taskOf(f.snapshot, 'x').status).toBe('cancelled');
    expect(taskOf(f.snapshot, 'y').status).toBe('cancelled');
    expect(f.snapshot.job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT', stage: 'a' } });
    expect(f.decision.abort).toEqual([rx.ref]);
    expect(eventTypes(f.decision)).toEqual(['task.failed', 'task.cancelled', 'task.cancelled', 'job.failed']);
  });

  it('non-retryable fails at once', () => {
    const r = startStage(chain(), 'a');
    const f = step(
      r.snapshot,
      { kind: 'fail', ...r.ref, error: { code: 'BAD', message: 'x' }, retryable: false },
      ctxAt(T0),
    );
    expect(f.snapshot.job.status).toBe('failed');
  });

  it('skips an optional task; dependents proceed with output null; job completes', () => {
    const s = newSnapshot([
      { stage: 'a', queue: 'q', required: false, maxAttempts: 1 },
      { stage: 'b', queue: 'q', dependsOn: ['a'] },
    ]);
    const r = startStage(s, 'a');
    const f = step(
      r.snapshot,
      { kind: 'fail', ...r.ref, error: { code: 'E', message: 'x' }, retryable: true },
      ctxAt(T0),
    );
    expect(eventTypes(f.decision)).toEqual(['task.skipped', 'task.ready']);
    expect(taskOf(f.snapshot, 'b').status).toBe('ready');
    expect(parentOutputs(f.snapshot, taskOf(f.snapshot, 'b'))).toEqual({
      a: { status: 'skipped', output: null },
    });
    const rb = startStage(f.snapshot, 'b');
    const c = step(rb.snapshot, { kind: 'complete', ...rb.ref, output: 2 }, ctxAt(T0));
    expect(c.snapshot.job.status).toBe('completed');
  });
});

describe('decide: leaseLost and deadLettered', () => {
  it('requeues a lost lease without spending failures', () => {
    const r = startStage(chain(), 'a', T0, 100);
    expect(
      decide(r.snapshot, { kind: 'leaseLost', taskId: r.ref.taskId, attempt: 1 }, ctxAt(T0 + 50)).reason,
    ).toBe('stale');
    const l = step(r.snapshot, { kind: 'leaseLost', taskId: r.ref.taskId, attempt: 1 }, ctxAt(T0 + 100));
    expect(taskOf(l.snapshot, 'a')).toMatchObject({
      status: 'ready',
      attempt: 2,
      lostLeases: 1,
      failures: 0,
    });
    expect(l.decision.change!.events[0]).toMatchObject({
      type: 'task.retrying',
      payload: { reason: 'lease lost' },
    });
    expect(l.decision.enqueue).toHaveLength(1);
    expect(
      decide(l.snapshot, { kind: 'leaseLost', taskId: r.ref.taskId, attempt: 1 }, ctxAt(T0 + 200)).reason,
    ).toBe('stale');
  });

  it('fails with LEASE_LOST past the ceiling', () => {
    const r = startStage(chain(), 'a', T0, 1);
    const l = step(
      r.snapshot,
      { kind: 'leaseLost', taskId: r.ref.taskId, attempt: 1 },
      ctxAt(T0 + 5, { maxLostLeases: 0 }),
    );
    expect(taskOf(l.snapshot, 'a').error?.code).toBe('LEASE_LOST');
    expect(l.snapshot.job.status).toBe('failed');
  });

  it('dead-letters a task for good', () => {
    const s = chain();
    const l = step(
      s,
      { kind: 'deadLettered', taskId: taskOf(s, 'a').id, reason: 'max deliveries' },
      ctxAt(T0),
    );
    expect(taskOf(l.snapshot, 'a')).toMatchObject({
      status: 'failed',
      error: { code: 'DEAD_LETTERED', message: 'max deliveries' },
    });
    expect(l.snapshot.job.status).toBe('failed');
  });
});

describe('decide: cancel', () => {
  it('cancels at once when nothing runs', () => {
    const c = step(chain(), { kind: 'cancel', reason: 'user' }, ctxAt(T0));
    expect(eventTypes(c.decision)).toEqual(['task.cancelled', 'task.cancelled', 'job.cancelled']);
    expect(c.snapshot.job).toMatchObject({ status: 'cancelled', finishedAt: T0 });
    expect(decide(c.snapshot, { kind: 'cancel', reason: 'again' }, ctxAt(T0)).reason).toBe('terminal');
  });

  it('goes cancelling while a task runs, then cancelled when its attempt ends', () => {
    const s = newSnapshot([
      { stage: 'a', queue: 'q' },
      { stage: 'b', queue: 'q' },
      { stage: 'c', queue: 'q', dependsOn: ['a'] },
    ]);
    const ra = startStage(s, 'a');
    const rb = startStage(ra.snapshot, 'b');
    const c = step(rb.snapshot, { kind: 'cancel', reason: 'user' }, ctxAt(T0));
    expect(c.snapshot.job.status).toBe('cancelling');
    expect(taskOf(c.snapshot, 'a')).toMatchObject({ status: 'running', cancelRequested: true });
    expect(taskOf(c.snapshot, 'c').status).toBe('cancelled');
    expect(c.decision.abort).toEqual([ra.ref, rb.ref]);
    const done = step(c.snapshot, { kind: 'complete', ...ra.ref, output: 1 }, ctxAt(T0 + 1));
    expect(taskOf(done.snapshot, 'a').status).toBe('cancelled');
    expect(done.snapshot.job.status).toBe('cancelling');
    const end = step(done.snapshot, { kind: 'cancelled', ...rb.ref }, ctxAt(T0 + 2));
    expect(eventTypes(end.decision)).toEqual(['task.cancelled', 'job.cancelled']);
    expect(end.snapshot.job).toMatchObject({ status: 'cancelled', finishedAt: T0 + 2 });
  });
});

describe('decide: retry', () => {
  it('resets a failed job and its unfinished tasks', () => {
    let s = newSnapshot([
      { stage: 'a', queue: 'q' },
      { stage: 'b', queue: 'q', dependsOn: ['a'], maxAttempts: 1 },
      { stage: 'c', queue: 'q', dependsOn: ['b'] },
    ]);
    let r = startStage(s, 'a');
    s = step(r.snapshot, { kind: 'complete', ...r.ref, output: 'A' }, ctxAt(T0)).snapshot;
    r = startStage(s, 'b');
    s = step(
      r.snapshot,
      { kind: 'fail', ...r.ref, error: { code: 'E', message: 'x' }, retryable: true },
      ctxAt(T0),
    ).snapshot;
    expect(s.job.status).toBe('failed');
    expect(decide(chain(), { kind: 'retry' }, ctxAt(T0)).reason).toBe('stale');
    const rt = step(s, { kind: 'retry' }, ctxAt(T0 + 1));
    expect(rt.snapshot.job).toMatchObject({
      status: 'pending',
      error: null,
      finishedAt: null,
      purgeAfter: null,
    });
    expect(taskOf(rt.snapshot, 'a')).toMatchObject({ status: 'completed', output: 'A' });
    expect(taskOf(rt.snapshot, 'b')).toMatchObject({ status: 'ready', attempt: 2, failures: 0, error: null });
    expect(taskOf(rt.snapshot, 'c')).toMatchObject({ status: 'pending', attempt: 2 });
    expect(rt.decision.enqueue.map((t) => t.stage)).toEqual(['b']);
    expect(eventTypes(rt.decision)[0]).toBe('job.retrying');
  });

  it('refuses a purged job', () => {
    const s = chain();
    const failed = { ...s, job: { ...s.job, status: 'failed' as const, purgedAt: T0 } };
    expect(decide(failed, { kind: 'retry' }, ctxAt(T0)).reason).toBe('terminal');
  });
});

describe('writes', () => {
  it('bump versions by one and name the prior state', () => {
    const r = startStage(chain(), 'a');
    const c = decide(r.snapshot, { kind: 'complete', ...r.ref, output: 1 }, ctxAt(T0));
    for (const w of c.change!.tasks) {
      const prior = r.snapshot.tasks.find((t) => t.id === w.next.id)!;
      expect(w.next.version).toBe(prior.version + 1);
      expect(w.expected).toEqual({
        status: prior.status,
        attempt: prior.attempt,
        leaseToken: prior.leaseToken,
      });
    }
    expect(() => apply(r.snapshot, c.change!)).not.toThrow();
  });
});

describe('decide: infraFailure (a store cut the attempt short)', () => {
  const storeError = { code: 'STORE_UNAVAILABLE', message: 'artifactStore.put failed' };
  const fixed = { kind: 'fixed' as const, delayMs: 250 };

  it('re-runs the attempt after the store backoff without spending failures', () => {
    const once = newSnapshot([{ stage: 'a', queue: 'q', maxAttempts: 1 }]);
    const r = startStage(once, 'a');
    const ctx = ctxAt(T0 + 5, { storeRetryBackoff: fixed, maxStoreInterruptions: 3 });
    const d = step(r.snapshot, { kind: 'infraFailure', ...r.ref, error: storeError }, ctx);
    expect(taskOf(d.snapshot, 'a')).toMatchObject({
      status: 'ready',
      attempt: 2,
      failures: 0,
      lostLeases: 1,
      notBefore: T0 + 5 + 250,
      leaseToken: null,
      error: storeError,
    });
    expect(d.decision.enqueue.map((t) => t.stage)).toEqual(['a']);
    expect(d.decision.change!.events[0]).toMatchObject({
      type: 'task.retrying',
      payload: { reason: 'store unavailable', errorCode: 'STORE_UNAVAILABLE', delayMs: 250 },
    });
    // The interrupted attempt is fenced out.
    const late = decide(d.snapshot, { kind: 'complete', ...r.ref, output: 1 }, ctxAt(T0 + 6));
    expect(late.reason).toBe('stale');
  });

  it('fails the task for good with STORE_UNAVAILABLE past maxStoreInterruptions', () => {
    let s = newSnapshot([
      { stage: 'a', queue: 'q', maxAttempts: 5 },
      { stage: 'b', queue: 'q', dependsOn: ['a'] },
    ]);
    const ctx = ctxAt(T0, { storeRetryBackoff: { kind: 'fixed', delayMs: 0 }, maxStoreInterruptions: 2 });
    for (let i = 0; i < 2; i++) {
      const r = startStage(s, 'a');
      s = step(r.snapshot, { kind: 'infraFailure', ...r.ref, error: storeError }, ctx).snapshot;
      expect(taskOf(s, 'a')).toMatchObject({ status: 'ready', lostLeases: i + 1, failures: 0 });
    }
    const r = startStage(s, 'a');
    const end = step(r.snapshot, { kind: 'infraFailure', ...r.ref, error: storeError }, ctx).snapshot;
    expect(taskOf(end, 'a')).toMatchObject({
      status: 'failed',
      failures: 0,
      lostLeases: 3,
      error: { code: 'STORE_UNAVAILABLE' },
    });
    expect(end.job).toMatchObject({ status: 'failed', error: { code: 'STORE_UNAVAILABLE', stage: 'a' } });
    expect(taskOf(end, 'b').status).toBe('cancelled');
  });

  it('backs off exponentially by default, and ends a cancel-requested attempt as cancelled', () => {
    const r = startStage(chain(), 'a');
    const d = step(
      r.snapshot,
      { kind: 'infraFailure', ...r.ref, error: storeError },
      ctxAt(T0, { random: () => 1 }),
    );
    expect(taskOf(d.snapshot, 'a').notBefore).toBe(T0 + 250);
    const cancelling = step(r.snapshot, { kind: 'cancel', reason: 'user' }, ctxAt(T0)).snapshot;
    const c = step(cancelling, { kind: 'infraFailure', ...r.ref, error: storeError }, ctxAt(T0));
    expect(taskOf(c.snapshot, 'a').status).toBe('cancelled');
    expect(c.snapshot.job.status).toBe('cancelled');
  });

  it('is stale for a ref that is not the current attempt', () => {
    const r = startStage(chain(), 'a');
    const stale = { ...r.ref, leaseToken: 'other' };
    expect(decide(r.snapshot, { kind: 'infraFailure', ...stale, error: storeError }, ctxAt(T0)).reason).toBe(
      'stale',
    );
  });
});
