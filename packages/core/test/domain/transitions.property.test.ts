/**
 * Property tests of the state machine: random DAGs, random occurrence sequences (fresh and
 * stale refs), applied through the harness's CAS store, then driven to completion.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobSnapshot } from '../../src/domain/change.js';
import { isTerminalJobStatus } from '../../src/domain/job.js';
import { isTerminalTaskStatus } from '../../src/domain/task.js';
import { runArb } from './simulation.js';

const RUNS = { numRuns: 500 };

const settled = (s: JobSnapshot, stages: string[]) =>
  stages.every((st) => {
    const d = s.tasks.find((t) => t.stage === st)!;
    return d.status === 'completed' || d.status === 'skipped';
  });

describe('decide (properties)', () => {
  it('terminal tasks and jobs never change (except an explicit retry of a failed job)', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        for (const { prev, next, occ } of steps) {
          if (occ.kind === 'retry') {
            if (next !== prev) expect(prev.job.status).toBe('failed');
            continue;
          }
          if (isTerminalJobStatus(prev.job.status)) expect(next).toBe(prev);
          for (const [i, t] of prev.tasks.entries()) {
            if (isTerminalTaskStatus(t.status)) expect(next.tasks[i]).toBe(t);
          }
        }
      }),
      RUNS,
    );
  });

  it('a task is ready or running only when every dependency is completed or skipped', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        for (const { next } of steps) {
          for (const t of next.tasks) {
            if (t.status === 'ready' || t.status === 'running') expect(settled(next, t.dependsOn)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });

  it('a terminal job event is emitted at most once and matches the job status', () => {
    fc.assert(
      fc.property(runArb, ({ steps, final }) => {
        let terminalEvents: string[] = [];
        for (const { occ, decision, next } of steps) {
          if (occ.kind === 'retry' && decision.change) terminalEvents = [];
          const types = decision.change?.events.map((e) => e.type) ?? [];
          const terminal = types.filter(
            (t) => t === 'job.completed' || t === 'job.failed' || t === 'job.cancelled',
          );
          expect(terminal.length).toBeLessThanOrEqual(1);
          if (terminal[0]) expect(terminal[0]).toBe(`job.${next.job.status}`);
          terminalEvents.push(...terminal);
          expect(terminalEvents.length).toBeLessThanOrEqual(1);
          expect(terminalEvents.length === 1).toBe(isTerminalJobStatus(next.job.status));
        }
        if (isTerminalJobStatus(final.job.status))
          expect(terminalEvents).toEqual([`job.${final.job.status}`]);
      }),
      RUNS,
    );
  });

  it('after a cancel nothing new becomes ready or starts', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        let cancelled = false;
        for (const { occ, prev, next, decision } of steps) {
          if (cancelled) {
            expect(decision.enqueue).toEqual([]);
            for (const [i, t] of next.tasks.entries()) {
              const was = prev.tasks[i]!;
              if (t.status === 'ready' || t.status === 'running') expect(t).toBe(was);
            }
          }
          if (occ.kind === 'cancel' && decision.change) cancelled = true;
        }
      }),
      RUNS,
    );
  });

  it('driven to the end, every task and the job end terminal: nothing is lost', () => {
    fc.assert(
      fc.property(runArb, ({ final }) => {
        expect(isTerminalJobStatus(final.job.status)).toBe(true);
        for (const t of final.tasks) expect(isTerminalTaskStatus(t.status)).toBe(true);
        const failedRequired = final.tasks.some((t) => t.required && t.status === 'failed');
        if (final.job.status === 'completed') {
          expect(failedRequired).toBe(false);
          expect(final.tasks.every((t) => t.status === 'completed' || t.status === 'skipped')).toBe(true);
        }
        if (final.job.status === 'failed') expect(final.job.error?.stage).toBeDefined();
      }),
      RUNS,
    );
  });

  it('versions increase by one per write, events are well-formed, queued and aborted refs are consistent', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        for (const { prev, next, decision, now } of steps) {
          expect(next.job.version).toBe(prev.job.version + (decision.change?.job ? 1 : 0));
          for (const [i, t] of next.tasks.entries()) {
            const was = prev.tasks[i]!;
            expect(t.version).toBe(t === was ? was.version : was.version + 1);
          }
          for (const e of decision.change?.events ?? []) {
            expect(e).toMatchObject({
              tenantId: prev.job.tenantId,
              jobId: prev.job.id,
              correlationId: 'corr_1',
              at: now,
            });
            expect(e.payload).not.toHaveProperty('output');
            if (e.taskId)
              expect(e.payload).toMatchObject({ stage: expect.any(String), attempt: expect.any(Number) });
            else expect(e.payload.status).toBe(next.job.status);
          }
          for (const q of decision.enqueue) expect(next.tasks.find((t) => t.id === q.id)).toEqual(q);
          for (const q of decision.enqueue) expect(q.status).toBe('ready');
          for (const a of decision.abort) {
            expect(prev.tasks.find((t) => t.id === a.taskId)).toMatchObject({
              status: 'running',
              attempt: a.attempt,
            });
          }
        }
      }),
      RUNS,
    );
  });

  it('a store interruption never spends failures: re-run, or failed as STORE_UNAVAILABLE past its ceiling', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        for (const { prev, next, occ, decision } of steps) {
          if (occ.kind !== 'infraFailure' || !decision.change) continue;
          const was = prev.tasks.find((t) => t.id === occ.taskId)!;
          const now = next.tasks.find((t) => t.id === occ.taskId)!;
          expect(now.failures).toBe(was.failures);
          if (now.status === 'ready')
            expect(now).toMatchObject({ attempt: was.attempt + 1, lostLeases: was.lostLeases + 1 });
          else if (now.status === 'cancelled')
            expect(prev.job.status === 'cancelling' || was.cancelRequested).toBe(true);
          else {
            expect(now.lostLeases).toBe(was.lostLeases + 1);
            expect(now.lostLeases).toBeGreaterThan(3);
            expect(now.error?.code).toBe('STORE_UNAVAILABLE');
          }
        }
      }),
      RUNS,
    );
  });

  it('stale refs decide nothing', () => {
    fc.assert(
      fc.property(runArb, ({ steps }) => {
        for (const { stale, decision } of steps) if (stale) expect(decision.change).toBeNull();
      }),
      RUNS,
    );
  });
});
