/**
 * schedules: recurring jobs from cron expressions. `upsert` defines one (validated once
 * here: the cron and time zone, the tenant, the parameters as `jobs.submit` would check
 * them); the firing pass (`fireDue`, run by `maintenance.start()` on the engine's clock,
 * see firing.ts) submits one job per tick across every engine instance.
 *
 * Pausing stops firing; ticks that fall while paused never run: `resume` (or an upsert
 * that unpauses, or changes the cron or time zone) moves the next tick to the first one
 * after now. Removing a schedule keeps the jobs it submitted.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { type DalstonError, notFound, validationFailed } from '../../domain/errors.js';
import type { JsonObject } from '../../domain/json.js';
import {
  SCHEDULE_CATCH_UPS,
  SCHEDULE_OVERLAPS,
  type Schedule,
  type ScheduleTick,
} from '../../domain/schedule.js';
import { storableJsonObjectSchema, storableString } from '../../domain/schemas.js';
import type { Clock } from '../../ports/clock.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import { TenantCache } from '../access/tenant-guard.js';
import { attempt, parseInput } from '../boundary/result.js';
import { type SubmitInput, SubmitJob } from '../jobs/submit.js';
import { PassBudget } from '../maintenance/pass-budget.js';
import type { Closable, EngineRuntime } from '../wiring/runtime.js';
import { cronFor, cronProblem, isKnownTimezone, nextTickAfter } from './cron.js';
import { type FireCounts, fireDueSchedules } from './firing.js';

export interface UpsertScheduleInput {
  /** Your name for the schedule (1..128 characters); upsert replaces the schedule with this id. */
  id: string;
  tenantId: string;
  /** Job type to submit; omit for the engine's only (default) job type. */
  type?: string;
  /** Cron expression, 5 fields (minutes) or 6 (seconds first), e.g. `0 9 * * 1-5`. */
  cron: string;
  /** IANA time zone the expression is read in. Default `UTC`. */
  timezone?: string;
  /** Parameters of every job it submits, checked like `jobs.submit` checks them. */
  parameters?: JsonObject;
  /** While the previous job is not terminal: `skip` the tick (default) or `allow` another job. */
  overlap?: 'skip' | 'allow';
  /** Ticks missed while no engine ran: run the `latest` once (default), or `none`. */
  catchUp?: 'latest' | 'none';
  /** Create or keep it paused. Default false. */
  paused?: boolean;
}

export interface ListSchedulesInput {
  /** 1..1000, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

export interface SchedulePage {
  items: Schedule[];
  nextCursor: string | null;
}

const idSchema = storableString().min(1).max(128);
const upsertSchema = z
  .strictObject({
    id: idSchema,
    tenantId: storableString().min(1).max(64),
    type: storableString().min(1).max(128).optional(),
    cron: storableString().min(1).max(256),
    timezone: storableString().min(1).max(64).default('UTC'),
    parameters: storableJsonObjectSchema.default({}),
    overlap: z.enum(SCHEDULE_OVERLAPS).default('skip'),
    catchUp: z.enum(SCHEDULE_CATCH_UPS).default('latest'),
    paused: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (!isKnownTimezone(v.timezone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timezone'],
        message: 'is not an IANA time zone (e.g. Europe/Berlin)',
      });
    }
  });
type Upsert = z.output<typeof upsertSchema>;

const listSchema = z
  .strictObject({
    limit: z.int().min(1).max(1000).default(50),
    cursor: idSchema.nullable().optional(),
  })
  .default({ limit: 50 });

const ticksSchema = z.strictObject({ limit: z.int().min(1).max(1000).default(100) }).default({ limit: 100 });

export class SchedulesService implements Closable {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    TOKENS.runtime,
    TenantCache,
    SubmitJob,
  ] as const;

  private cancelTimer: (() => void) | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly jobStore: JobStore,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly runtime: EngineRuntime,
    private readonly tenants: TenantCache,
    private readonly submitter: SubmitJob,
  ) {
    runtime.closables.add(this);
  }

  /**
   * Creates the schedule, or replaces the one with this id (keeping its next tick when the
   * cron, time zone and paused state are unchanged). VALIDATION_FAILED names `cron`,
   * `timezone`, `parameters…` or another field; NOT_FOUND / FORBIDDEN for the tenant.
   */
  upsert(input: UpsertScheduleInput): ResultAsync<Schedule, DalstonError> {
    const parsed = parseInput(upsertSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const req = parsed.value;
    const now = this.clock.now();
    const problem = cronProblem(req.cron, req.timezone, now);
    if (problem !== null) return errAsync(validationFailed('cron', problem));
    return attempt(async () => {
      await this.tenants.active(req.tenantId);
      const refused = this.submitter.checkParameters(req.parameters, req.type ?? undefined);
      if (refused) throw refused;
      const existing = await this.jobStore.getSchedule(req.id);
      return this.jobStore.upsertSchedule(this.scheduleFrom(req, existing, now));
    });
  }

  /** The schedule; NOT_FOUND when there is none with this id. */
  get(id: string): ResultAsync<Schedule, DalstonError> {
    return attempt(() => this.jobStore.getSchedule(id)).andThen((s) =>
      s ? okAsync(s) : errAsync(notFound('schedule', JSON.stringify(id))),
    );
  }

  /** Schedules in id order, a page at a time. */
  list(input: ListSchedulesInput = {}): ResultAsync<SchedulePage, DalstonError> {
    const parsed = parseInput(listSchema, input);
    if (parsed.isErr()) return errAsync(parsed.error);
    const { limit, cursor } = parsed.value;
    return attempt(async () => {
      const items = await this.jobStore.listSchedules(limit, cursor ?? undefined);
      return { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null };
    });
  }

  /** Stops firing (idempotent). NOT_FOUND when there is none with this id. */
  pause(id: string): ResultAsync<Schedule, DalstonError> {
    return this.setPaused(id, true);
  }

  /** Fires again from the first tick after now (idempotent). NOT_FOUND when there is none. */
  resume(id: string): ResultAsync<Schedule, DalstonError> {
    return this.setPaused(id, false);
  }

  /** Deletes the schedule and its tick ledger; its jobs stay. NOT_FOUND when there is none. */
  remove(id: string): ResultAsync<void, DalstonError> {
    return attempt(() => this.jobStore.deleteSchedule(id)).andThen((deleted) =>
      deleted ? okAsync(undefined) : errAsync(notFound('schedule', JSON.stringify(id))),
    );
  }

  /** The schedule's recorded ticks, newest first (what each did: submitted, skipped, failed). */
  ticks(id: string, options: { limit?: number } = {}): ResultAsync<ScheduleTick[], DalstonError> {
    const parsed = parseInput(ticksSchema, options);
    if (parsed.isErr()) return errAsync(parsed.error);
    return this.get(id).andThen(() => attempt(() => this.jobStore.listScheduleTicks(id, parsed.value.limit)));
  }

  /**
   * One firing pass now (see firing.ts), under the exclusive pass `dalston:schedules`:
   * `null` when another instance is running it.
   */
  fireDue(): ResultAsync<FireCounts | null, DalstonError> {
    return attempt(async () => {
      const r = await this.jobStore.exclusive('dalston:schedules', { ttlMs: 5 * 60_000 }, () =>
        fireDueSchedules(
          {
            jobStore: this.jobStore,
            clock: this.clock,
            logger: this.logger,
            submit: (input) => this.submitOne(input),
          },
          new PassBudget(this.clock, this.config.maintenancePassBudgetMs),
        ),
      );
      return r.ran ? r.value : null;
    });
  }

  /**
   * Runs `fireDue` now and then every `intervalMs` of the engine's clock. Idempotent.
   * `maintenance.start()` calls it (option `scheduleIntervalMs`); `maintenance.stop()` stops it.
   */
  start(intervalMs: number): void {
    if (this.cancelTimer || this.runtime.closed) return;
    const tick = () => {
      this.running = this.fireDue()
        .match(
          () => undefined,
          (e) => this.logger.warn('schedule firing pass failed', { error: e.message }),
        )
        .finally(() => {
          if (this.cancelTimer) this.cancelTimer = this.clock.setTimer(tick, intervalMs);
        });
    };
    this.cancelTimer = this.clock.setTimer(tick, 0);
  }

  /** Stops the timer and waits for a running pass. */
  async stop(): Promise<void> {
    const cancel = this.cancelTimer;
    this.cancelTimer = null;
    cancel?.();
    await this.running?.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private async submitOne(input: SubmitInput) {
    const r = await this.submitter.submit(input);
    return r.isOk()
      ? { ok: true as const, job: r.value }
      : { ok: false as const, code: r.error.code, message: r.error.message };
  }

  private setPaused(id: string, paused: boolean): ResultAsync<Schedule, DalstonError> {
    return this.get(id).andThen((s) => {
      if (s.paused === paused) return okAsync(s);
      const now = this.clock.now();
      const nextTick = paused ? s.nextTick : nextTickAfter(cronFor(s.cron, s.timezone), now);
      return attempt(() => this.jobStore.setSchedulePaused(id, paused, nextTick, now)).andThen((r) =>
        r ? okAsync(r) : errAsync(notFound('schedule', JSON.stringify(id))),
      );
    });
  }

  private scheduleFrom(req: Upsert, existing: Schedule | null, now: number): Schedule {
    const keepsTicks =
      existing !== null &&
      existing.cron === req.cron &&
      existing.timezone === req.timezone &&
      existing.paused === req.paused;
    return {
      id: req.id,
      tenantId: req.tenantId,
      type: req.type ?? null,
      cron: req.cron,
      timezone: req.timezone,
      parameters: req.parameters,
      overlap: req.overlap,
      catchUp: req.catchUp,
      paused: req.paused,
      nextTick: keepsTicks ? existing.nextTick : nextTickAfter(cronFor(req.cron, req.timezone), now),
      lastTick: existing?.lastTick ?? null,
      lastJobId: existing?.lastJobId ?? null,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
  }
}
