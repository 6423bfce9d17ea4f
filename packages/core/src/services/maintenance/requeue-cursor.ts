/**
 * Where reconcile's re-enqueue stands, kept by the maintenance service instance.
 *
 * A ready task's queue message can only be missing when (a) the process that committed the
 * task ready died or failed before enqueuing it, or (b) the queue store lost its data. So a
 * pass does not re-enqueue the whole ready backlog: it reads the ready tasks changed since
 * the previous pass's mark (`JobStore.readyMark`, exact whatever the commit order), which
 * covers (a) and costs what changed. A full scan runs when the queue's epoch changed (b:
 * FLUSHALL, a restart without persistence), on an instance's first pass (it has no mark
 * yet), and every `requeueFullSweepMs` as a safety net for anything else (a message removed
 * by hand). Scans page and resume across passes; enqueue is idempotent, so reading a task
 * twice costs nothing but the read. Losing this state (a restart) only costs one full scan,
 * so it is not stored durably.
 */
import type { JobStore } from '../../ports/job-store.js';
import type { WorkQueue } from '../../ports/work-queue.js';

export interface RequeueScan {
  /** True: every ready task; false: only those changed since `changedSince`. */
  full: boolean;
  /** The ready mark taken when the scan began; the next incremental scan starts from it. */
  mark: string;
  changedSince: string | null;
  startedAt: number;
  /** The last task id read: the scan resumes after it. */
  after?: string;
}

export class RequeueCursor {
  private epoch: string | null = null;
  private since: string | null = null;
  private lastFullAt: number | null = null;
  private scan: RequeueScan | null = null;

  /** The scan this pass runs: the unfinished one, or a new full or incremental one. */
  async plan(store: JobStore, queue: WorkQueue, now: number, fullEveryMs: number): Promise<RequeueScan> {
    const epoch = await queue.epoch();
    const wiped = epoch !== this.epoch;
    this.epoch = epoch;
    const fullDue = this.since === null || this.lastFullAt === null || now - this.lastFullAt >= fullEveryMs;
    if (wiped || (fullDue && !this.scan?.full)) {
      this.scan = { full: true, mark: await store.readyMark(), changedSince: null, startedAt: now };
    } else if (!this.scan) {
      this.scan = { full: false, mark: await store.readyMark(), changedSince: this.since, startedAt: now };
    }
    return this.scan;
  }

  /** The scan read its last page: the next one starts from its mark. */
  finish(scan: RequeueScan): void {
    this.since = scan.mark;
    if (scan.full) this.lastFullAt = scan.startedAt;
    if (this.scan === scan) this.scan = null;
  }
}
