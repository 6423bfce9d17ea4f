/**
 * Engine-wide in-process state shared by services: attempts running in this process
 * (so a cancel can abort their handlers at once), the queues known to maintenance,
 * and what `close()` must stop.
 */
import type { AttemptRef } from '../../domain/change.js';

export interface RunningAttempt extends AttemptRef {
  jobId: string;
  /** Aborts the handler; `reason` is `cancelled` or `failed` (the job failed). */
  abort(reason: 'cancelled' | 'job_failed'): void;
}

export interface Closable {
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export class EngineRuntime {
  private readonly running = new Map<string, Set<RunningAttempt>>();
  readonly queues = new Set<string>();
  readonly closables = new Set<Closable>();
  closed = false;

  constructor(queues: readonly string[] = []) {
    for (const q of queues) this.queues.add(q);
  }

  /** Registers a running attempt; returns the function that unregisters it. */
  track(attempt: RunningAttempt): () => void {
    let set = this.running.get(attempt.jobId);
    if (!set) {
      set = new Set();
      this.running.set(attempt.jobId, set);
    }
    set.add(attempt);
    return () => {
      set.delete(attempt);
      if (set.size === 0 && this.running.get(attempt.jobId) === set) this.running.delete(attempt.jobId);
    };
  }

  /** Aborts the attempts of this process that match (all of the job's when `refs` is omitted). */
  abort(jobId: string, reason: 'cancelled' | 'job_failed', refs?: readonly AttemptRef[]): number {
    const set = this.running.get(jobId);
    if (!set) return 0;
    let n = 0;
    for (const a of [...set]) {
      const match = !refs || refs.some((r) => r.taskId === a.taskId && r.attempt === a.attempt);
      if (match) {
        a.abort(reason);
        n++;
      }
    }
    return n;
  }
}
