/**
 * decideFolded: a start and its attempt's outcome as one change give the same job as the
 * two decided one after the other, with one write per task and job (expected = the state
 * read, version + 1), the start's events then the outcome's; and nothing at all when the
 * start no longer applies (cancelled, ended, taken by another worker, not yet due).
 */
import { describe, expect, it } from 'vitest';
import type { JobSnapshot, Occurrence } from '../../src/domain/change.js';
import { decide, decideFolded } from '../../src/domain/transitions.js';
import { apply, ctxAt, eventTypes, newSnapshot, startStage, step, T0, taskOf } from './harness.js';

const fan = () =>
  newSnapshot([
    { stage: 'a', queue: 'q' },
    { stage: 'b', queue: 'q', dependsOn: ['a'] },
    { stage: 'c', queue: 'q', dependsOn: ['a'] },
  ]);

const startOf = (s: JobSnapshot, stage: string, token = 'lt_fold') =>
  ({
    kind: 'start',
    taskId: taskOf(s, stage).id,
    leaseToken: token,
    leaseExpiresAt: T0 + 30_000,
  }) as const;

const ref = (s: JobSnapshot, stage: string, token = 'lt_fold') => ({
  taskId: taskOf(s, stage).id,
  attempt: taskOf(s, stage).attempt,
  leaseToken: token,
});

describe('decideFolded', () => {
  it('start + complete: the same job as two steps, one write each, events in order', () => {
    const s = fan();
    const start = startOf(s, 'a');
    const complete: Occurrence = { kind: 'complete', ...ref(s, 'a'), output: { n: 1 } };
    const folded = decideFolded(s, start, T0, complete, ctxAt(T0 + 20));
    const oneByOne = step(step(s, start, ctxAt(T0)).snapshot, complete, ctxAt(T0 + 20)).snapshot;
    const after = apply(s, folded.change!);
    const comparable = (x: JobSnapshot) => ({
      job: { ...x.job, version: 0 },
      tasks: x.tasks.map((t) => ({ ...t, version: 0 })),
    });
    expect(comparable(after)).toEqual(comparable(oneByOne));
    expect(taskOf(after, 'a')).toMatchObject({ status: 'completed', startedAt: T0, finishedAt: T0 + 20 });
    expect(eventTypes(folded)).toEqual(['task.started', 'task.completed', 'task.ready', 'task.ready']);
    expect(folded.change!.events[0]).toMatchObject({ at: T0, payload: { jobStarted: true } });
    // One write per task and for the job, each against the state read.
    expect(folded.change!.tasks.map((w) => [taskOf(s, 'a').id === w.next.id, w.expected.status])).toEqual([
      [true, 'ready'],
      [false, 'pending'],
      [false, 'pending'],
    ]);
    for (const w of folded.change!.tasks) expect(w.next.version).toBe(2);
    expect(folded.change!.job).toMatchObject({ expected: { status: 'pending', version: 1 } });
    expect(folded.change!.job!.next).toMatchObject({ status: 'running', version: 2, startedAt: T0 });
    expect(folded.enqueue.map((t) => t.stage)).toEqual(['b', 'c']);
  });

  it('start + a failed attempt: back to ready at attempt 2 after its backoff', () => {
    const s = fan();
    const fail: Occurrence = {
      kind: 'fail',
      ...ref(s, 'a'),
      error: { code: 'E', message: 'boom' },
      retryable: true,
    };
    const folded = decideFolded(s, startOf(s, 'a'), T0, fail, ctxAt(T0 + 5));
    expect(eventTypes(folded)).toEqual(['task.started', 'task.retrying']);
    const a = taskOf(apply(s, folded.change!), 'a');
    expect(a).toMatchObject({ status: 'ready', attempt: 2, failures: 1, leaseToken: null });
    expect(folded.enqueue.map((t) => t.attempt)).toEqual([2]);
  });

  it('the last task of a started job: completes the job in the same write', () => {
    let s = fan();
    for (const stage of ['a', 'b']) {
      const started = startStage(s, stage);
      s = step(started.snapshot, { kind: 'complete', ...started.ref, output: null }, ctxAt(T0 + 2)).snapshot;
    }
    const c = taskOf(s, 'c');
    const folded = decideFolded(
      s,
      startOf(s, 'c'),
      T0 + 3,
      { kind: 'complete', taskId: c.id, attempt: c.attempt, leaseToken: 'lt_fold', output: 1 },
      ctxAt(T0 + 4),
    );
    expect(eventTypes(folded)).toEqual(['task.started', 'task.completed', 'job.completed']);
    expect(folded.change!.events[0]!.payload).toEqual({ stage: 'c', attempt: 1 });
    expect(folded.change!.job!.next).toMatchObject({ status: 'completed', version: s.job.version + 1 });
  });

  it('decides nothing when the start no longer applies', () => {
    const s = fan();
    const complete = (snap: JobSnapshot): Occurrence => ({ kind: 'complete', ...ref(snap, 'a'), output: 1 });
    // Cancelled meanwhile.
    const cancelled = step(s, { kind: 'cancel', reason: 'user' }, ctxAt(T0)).snapshot;
    expect(decideFolded(cancelled, startOf(s, 'a'), T0, complete(s), ctxAt(T0 + 1))).toMatchObject({
      change: null,
      reason: 'terminal',
    });
    // Started by another worker (running, live lease): stale.
    const taken = startStage(s, 'a').snapshot;
    expect(decideFolded(taken, startOf(s, 'a'), T0, complete(s), ctxAt(T0 + 1))).toMatchObject({
      change: null,
      reason: 'stale',
    });
    // Taken over after an expired lease is never folded.
    const expired = startStage(s, 'a', T0, 10).snapshot;
    const late = T0 + 1000;
    expect(decide(expired, startOf(s, 'a'), ctxAt(late)).change).not.toBeNull();
    expect(decideFolded(expired, startOf(s, 'a'), late, complete(s), ctxAt(late + 1))).toMatchObject({
      change: null,
      reason: 'stale',
    });
    // Not yet due (a retry's backoff).
    const pending = decideFolded(s, startOf(s, 'b'), T0, complete(s), ctxAt(T0 + 1));
    expect(pending).toMatchObject({ change: null, reason: 'not_ready' });
  });
});
