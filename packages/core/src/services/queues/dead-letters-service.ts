/**
 * deadLetters: the messages a queue gave up on (past `maxDeliveries`, or unparseable), for
 * operators. `list` pages through a queue's letters oldest first with the task, job, tenant
 * and stage each was for; `redrive` gives a letter's task a new attempt and `discard`
 * removes a letter, its task staying failed (see dead-letter-actions.ts for exactly what
 * each does to the task and its job). `'all'` works through the letters present when the
 * call began, page by page (letters of different jobs in parallel, one job's in order), and
 * reports per letter; letters dead-lettered meanwhile are left for the next call.
 */
import type { ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { DalstonError, isDalstonError } from '../../domain/errors.js';
import { queueNameSchema, storableString } from '../../domain/schemas.js';
import type { TaskStatus } from '../../domain/task.js';
import type { JobStore } from '../../ports/job-store.js';
import type { DeadLetter, WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseAsync } from '../boundary/result.js';
import { JobCommands } from '../jobs/commands.js';
import { mapLimited } from '../maintenance/pass-budget.js';
import { JobTransitions } from '../transitions/job-transitions.js';
import { discardLetter, type LetterDeps, type RedriveOutcome, redriveLetter } from './dead-letter-actions.js';

/** A dead letter as operators see it. Ids are null when the letter could not be parsed. */
export interface DeadLetterView {
  /** The letter's id (the message id, `<taskId>:<attempt>`). */
  id: string;
  queue: string;
  taskId: string | null;
  jobId: string | null;
  tenantId: string | null;
  /** The task's stage; null when the letter could not be parsed or its job is gone. */
  stage: string | null;
  /** The attempt whose message was dead-lettered. */
  attempt: number | null;
  /** The task's status now (`ready`/`running` until reconcile fails it); null when gone. */
  taskStatus: TaskStatus | null;
  /** Why, e.g. `max deliveries (10) exceeded`, `unparseable entry`. */
  reason: string;
  deliveries: number;
  /** When it was dead-lettered, epoch ms (the queue store's clock). */
  deadAt: number;
  /** The raw entry when it could not be parsed (up to 4 KiB), else null. */
  raw: string | null;
}

export interface DeadLetterList {
  items: DeadLetterView[];
  /** Pass as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

/** A letter `'all'` left in place, with the refusal (`INVALID_TRANSITION`, `NOT_FOUND`, `RATE_LIMITED`). */
export interface SkippedLetter {
  id: string;
  code: string;
  message: string;
}

export interface RedriveReport {
  /** Letters whose task got a new attempt (and were removed). */
  redriven: Array<{ id: string; taskId: string; jobId: string; outcome: RedriveOutcome }>;
  skipped: SkippedLetter[];
}

export interface DiscardReport {
  /** Letters removed. */
  discarded: number;
}

/** Page size of `list` without `limit`; `'all'` works in pages of `ALL_PAGE`. */
const DEFAULT_LIMIT = 100;
const ALL_PAGE = 500;
/** Jobs whose letters are handled at once by `'all'` (and letters enriched at once by `list`). */
const WIDTH = 8;
/** Refusals `'all'` reports per letter; anything else (a store down) ends the call. */
const SKIPPABLE = new Set(['INVALID_TRANSITION', 'NOT_FOUND', 'RATE_LIMITED']);

const cursorSchema = z
  .string()
  .regex(/^\d{1,16}$/, 'must be a nextCursor returned by deadLetters.list')
  .refine((c) => Number.isSafeInteger(Number(c)), 'must be a nextCursor returned by deadLetters.list');
const listOptionsSchema = z
  .strictObject({
    cursor: cursorSchema.nullish(),
    limit: z.int().min(1).max(1000).default(DEFAULT_LIMIT),
  })
  .default({ limit: DEFAULT_LIMIT });
const letterIdSchema = z.union([
  z.literal('all'),
  storableString().min(1, 'must be a dead-letter id or "all"').max(255, 'must be at most 255 characters'),
]);

export class DeadLettersService {
  static readonly inject = [TOKENS.jobStore, TOKENS.workQueue, JobTransitions, JobCommands] as const;
  private readonly deps: LetterDeps;

  constructor(jobStore: JobStore, workQueue: WorkQueue, transitions: JobTransitions, commands: JobCommands) {
    this.deps = { jobStore, workQueue, transitions, commands };
  }

  /**
   * A page of the queue's dead letters, oldest first. Keyset paging: a letter kept through
   * a listing appears exactly once however many are redriven or discarded meanwhile.
   * VALIDATION_FAILED names `queue`, `options.cursor` or `options.limit` (1..1000, default 100).
   */
  list(
    queue: string,
    options?: { cursor?: string | null; limit?: number },
  ): ResultAsync<DeadLetterList, DalstonError> {
    return parseAsync(queueNameSchema, queue, 'queue').andThen((q) =>
      parseAsync(listOptionsSchema, options, 'options').andThen((o) =>
        attempt(async () => {
          const after = o.cursor == null ? {} : { after: Number(o.cursor) };
          const page = await this.deps.workQueue.deadLetterPage(q, { ...after, limit: o.limit });
          const items = await mapLimited(page.letters, WIDTH, (l) => this.view(l));
          return { items, nextCursor: page.next === null ? null : String(page.next) };
        }),
      ),
    );
  }

  /**
   * Gives the letter's task a new attempt and removes the letter (see dead-letter-actions.ts).
   * One id: NOT_FOUND when the queue has no such letter, else the refusal as an error.
   * `'all'`: every letter present when the call began; refusals are reported per letter.
   */
  redrive(queue: string, id: string): ResultAsync<RedriveReport, DalstonError> {
    return this.each(
      queue,
      id,
      async (letter, report: RedriveReport) => {
        const outcome = await redriveLetter(this.deps, letter);
        const m = letter.message!;
        report.redriven.push({ id: letter.id, taskId: m.taskId, jobId: m.jobId, outcome });
      },
      () => ({ redriven: [], skipped: [] }),
    );
  }

  /**
   * Removes the letter; its task stays failed (failed now, `DEAD_LETTERED`, if reconcile had
   * not done it yet). One id: NOT_FOUND when the queue has no such letter. `'all'`: every
   * letter present when the call began.
   */
  discard(queue: string, id: string): ResultAsync<DiscardReport, DalstonError> {
    return this.each(
      queue,
      id,
      async (letter, report: DiscardReport & { skipped: SkippedLetter[] }) => {
        if (await discardLetter(this.deps, letter)) report.discarded++;
      },
      () => ({ discarded: 0, skipped: [] }),
    ).map(({ discarded }) => ({ discarded }));
  }

  /** Validates, then runs `act` on one letter (errors returned) or on all (refusals reported). */
  private each<R extends { skipped: SkippedLetter[] }>(
    queue: string,
    id: string,
    act: (letter: DeadLetter, report: R) => Promise<void>,
    empty: () => R,
  ): ResultAsync<R, DalstonError> {
    return parseAsync(queueNameSchema, queue, 'queue').andThen((q) =>
      parseAsync(letterIdSchema, id, 'id').andThen((which) =>
        attempt(async () => {
          const report = empty();
          if (which !== 'all') {
            const letter = await this.find(q, which);
            if (!letter)
              throw new DalstonError(
                'NOT_FOUND',
                `dead letter ${JSON.stringify(which)} not found in queue ${q}`,
              );
            await act(letter, report);
            return report;
          }
          await this.forEachPresent(q, async (letter) => {
            try {
              await act(letter, report);
            } catch (e) {
              if (!isDalstonError(e) || !SKIPPABLE.has(e.code)) throw e;
              report.skipped.push({ id: letter.id, code: e.code, message: e.message });
            }
          });
          return report;
        }),
      ),
    );
  }

  /**
   * Runs `fn` on the letters present now, oldest first, a page at a time: letters of one job
   * in order, up to WIDTH jobs at once. Stops after as many letters as the queue held at the
   * start (later ones come after them in paging order).
   */
  private async forEachPresent(queue: string, fn: (letter: DeadLetter) => Promise<void>): Promise<void> {
    let remaining = (await this.deps.workQueue.stats(queue)).dead;
    let after: number | undefined;
    while (remaining > 0) {
      const page = await this.deps.workQueue.deadLetterPage(queue, {
        ...(after === undefined ? {} : { after }),
        limit: Math.min(ALL_PAGE, remaining),
      });
      remaining -= page.letters.length;
      const byJob = new Map<string, DeadLetter[]>();
      for (const l of page.letters) {
        const key = l.message?.jobId ?? `letter:${l.id}`;
        byJob.set(key, [...(byJob.get(key) ?? []), l]);
      }
      await mapLimited([...byJob.values()], WIDTH, async (letters) => {
        for (const l of letters) await fn(l);
      });
      if (page.next === null) return;
      after = page.next;
    }
  }

  /** The letter with this id, paging through the queue's letters; null when absent. */
  private async find(queue: string, id: string): Promise<DeadLetter | null> {
    let after: number | undefined;
    for (;;) {
      const page = await this.deps.workQueue.deadLetterPage(queue, {
        ...(after === undefined ? {} : { after }),
        limit: 1000,
      });
      const found = page.letters.find((l) => l.id === id);
      if (found) return found;
      if (page.next === null) return null;
      after = page.next;
    }
  }

  private async view(letter: DeadLetter): Promise<DeadLetterView> {
    const m = letter.message;
    const snapshot = m ? await this.deps.jobStore.getSnapshot(m.tenantId, m.jobId) : null;
    const task = snapshot?.tasks.find((t) => t.id === m?.taskId) ?? null;
    return {
      id: letter.id,
      queue: letter.queue,
      taskId: m?.taskId ?? null,
      jobId: m?.jobId ?? null,
      tenantId: m?.tenantId ?? null,
      stage: task?.stage ?? null,
      attempt: m?.attempt ?? null,
      taskStatus: task?.status ?? null,
      reason: letter.reason,
      deliveries: letter.deliveries,
      deadAt: letter.at,
      raw: letter.raw,
    };
  }
}
