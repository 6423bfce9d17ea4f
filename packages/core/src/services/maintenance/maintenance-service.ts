/**
 * maintenance: the passes that keep the engine healing — reconcile, the event relay,
 * retention purge, row retention, orphan sweep, session sweep — each run under the JobStore's
 * exclusive-pass primitive (at most one instance runs a pass at a time; a crashed
 * holder's exclusivity ends by itself), and `start()` to run them on clock timers.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import type { DalstonError } from '../../domain/errors.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import type { RateLimitStore } from '../../ports/rate-limit-store.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import type { SessionStore } from '../../ports/session-store.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';
import { SchedulesService } from '../schedules/schedules-service.js';
import { SessionsService } from '../sessions/sessions-service.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { JobTransitions } from '../transitions/job-transitions.js';
import type { Closable, EngineRuntime } from '../wiring/runtime.js';
import { PassBudget } from './pass-budget.js';
import {
  expireLeases,
  failDeadLettered,
  type ReconcileDeps,
  requeueReady,
  resyncSlots,
} from './reconcile.js';
import { RequeueCursor } from './requeue-cursor.js';
import { type OrphanCounts, purgeDue, type RetentionCursors, sweepOrphanObjects } from './retention.js';
import {
  deleteExpiredRows,
  ROW_RETENTION_BATCH,
  type RowRetentionCounts,
  type RowRetentionState,
} from './row-retention.js';
import { type SessionSweepCursor, sweepExpiredSessions } from './session-sweep.js';

/** How long a crashed pass holder keeps a pass to itself. */
const PASS_TTL_MS = 5 * 60_000;
const RELAY_PAGE = 500;

export interface ReconcileCounts {
  requeued: number;
  leasesExpired: number;
  deadLettered: number;
  tenantsResynced: number;
  /** Passes skipped because another instance was running them. */
  skipped: string[];
}

export class MaintenanceService implements Closable {
  static readonly inject = [
    TOKENS.jobStore,
    TOKENS.workQueue,
    TOKENS.rateLimitStore,
    TOKENS.tenantStore,
    TOKENS.sessionArchive,
    TOKENS.sessionStore,
    TOKENS.artifactStore,
    TOKENS.eventBus,
    TOKENS.clock,
    TOKENS.config,
    TOKENS.logger,
    TOKENS.runtime,
    JobTransitions,
    SessionsService,
    SchedulesService,
    TOKENS.telemetry,
  ] as const;

  private cancelTimer: (() => void) | null = null;
  private running: Promise<unknown> | null = null;
  private cancelOrphanTimer: (() => void) | null = null;
  private sweeping: Promise<unknown> | null = null;
  /** Where each paged pass stopped: this instance's passes resume there (see each pass). */
  private readonly requeueCursor = new RequeueCursor();
  private readonly retentionCursors: RetentionCursors = { purge: null, orphans: null };
  private readonly sessionCursor: SessionSweepCursor = { after: null };
  private readonly rowCursor: RowRetentionState = { after: null };

  constructor(
    private readonly jobStore: JobStore,
    private readonly workQueue: WorkQueue,
    private readonly rateLimitStore: RateLimitStore,
    private readonly tenantStore: TenantStore,
    private readonly sessionArchive: SessionArchive,
    private readonly sessionStore: SessionStore,
    private readonly artifacts: ArtifactStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly runtime: EngineRuntime,
    private readonly transitions: JobTransitions,
    private readonly sessions: SessionsService,
    private readonly schedules: SchedulesService,
    private readonly telemetry: Telemetry,
  ) {
    runtime.closables.add(this);
  }

  /**
   * Re-enqueues ready tasks whose message may be missing, expires lost leases, fails
   * dead-lettered tasks, resyncs slots. Each paged step stops at `maintenancePassBudgetMs`
   * and resumes where it stopped on the next call.
   */
  reconcile(): ResultAsync<ReconcileCounts, DalstonError> {
    const deps = this.reconcileDeps();
    const counts: ReconcileCounts = {
      requeued: 0,
      leasesExpired: 0,
      deadLettered: 0,
      tenantsResynced: 0,
      skipped: [],
    };
    return attempt(async () => {
      counts.leasesExpired = (await this.pass('leases', counts, () => expireLeases(deps))) ?? 0;
      counts.deadLettered =
        (await this.pass('dead-letters', counts, () => failDeadLettered(deps, this.budget()))) ?? 0;
      counts.requeued =
        (await this.pass('requeue', counts, () => requeueReady(deps, this.requeueCursor, this.budget()))) ??
        0;
      counts.tenantsResynced = (await this.pass('slots', counts, () => resyncSlots(deps))) ?? 0;
      return counts;
    });
  }

  /** Publishes committed events that were not published (the outbox relay). Returns how many. */
  relayEvents(): ResultAsync<number, DalstonError> {
    return attempt(async () => (await this.pass('relay', null, () => this.relay())) ?? 0);
  }

  /**
   * Deletes the objects of jobs past retention, marks them purged and records `job.purged`
   * (published by the event relay). Returns how many jobs. Pages until done or the budget
   * is spent; the next call resumes there.
   */
  purgeExpired(): ResultAsync<number, DalstonError> {
    return attempt(
      async () =>
        (await this.pass('purge', null, () =>
          purgeDue(this.retentionDeps(), this.retentionCursors, this.budget()),
        )) ?? 0,
    );
  }

  /**
   * Row retention: deletes the rows (job, tasks, edges, events) of purged jobs that finished
   * at least `config.rowRetentionMs` ago, `batchSize` jobs per transaction (default 100,
   * 1..1000); nothing when rowRetentionMs is null. Pages until done or the budget is spent;
   * the next call resumes there. Logs its counts and duration when it deleted anything.
   */
  deleteExpiredRows(options: { batchSize?: number } = {}): ResultAsync<RowRetentionCounts, DalstonError> {
    const parsed = parseInput(z.int().min(1).max(1000).optional(), options.batchSize, 'batchSize');
    if (parsed.isErr()) return errAsync(parsed.error);
    const batchSize = parsed.value ?? ROW_RETENTION_BATCH;
    return attempt(async () => {
      const startedAt = this.clock.now();
      const deps = { jobStore: this.jobStore, clock: this.clock };
      const retentionMs = this.config.rowRetentionMs;
      const counts = await this.pass('rows', null, () =>
        deleteExpiredRows(deps, retentionMs, this.rowCursor, this.budget(), batchSize),
      );
      if (!counts) return { jobs: 0, tasks: 0, events: 0, complete: false };
      const fields = { pass: 'rows', durationMs: this.clock.now() - startedAt, ...counts };
      if (counts.jobs > 0) this.logger.info('maintenance pass deleted expired rows', fields);
      return counts;
    });
  }

  /**
   * Deletes objects without a row, older than `graceMs` (default config.orphanGraceMs), page
   * by page from where the previous call stopped until the listing ends or the budget is
   * spent; at the end of the listing, aborts stale uploads when the store declares it can
   * (a failure there is `uploadsError`, not a failed pass).
   */
  sweepOrphans(options: { graceMs?: number } = {}): ResultAsync<OrphanCounts, DalstonError> {
    const grace = parseInput(z.int().min(0).optional(), options.graceMs, 'graceMs');
    if (grace.isErr()) return errAsync(grace.error);
    const graceMs = grace.value ?? this.config.orphanGraceMs;
    return attempt(
      async () =>
        (await this.pass('orphans', null, () =>
          sweepOrphanObjects(this.retentionDeps(), graceMs, this.retentionCursors, this.budget()),
        )) ?? { deleted: 0, abortedUploads: 0, uploadsError: null, complete: false },
    );
  }

  /**
   * Closes as `interrupted` the active session records whose live state expired. Returns
   * how many. Pages until done or the budget is spent; the next call resumes there.
   */
  sweepSessions(): ResultAsync<number, DalstonError> {
    return attempt(
      async () =>
        (await this.pass('sessions', null, () =>
          sweepExpiredSessions(this.sessionSweepDeps(), this.sessionCursor, this.budget()),
        )) ?? 0,
    );
  }

  /**
   * Runs every pass now and then every `intervalMs` on the engine's clock, and the orphan
   * sweep on its own timer every `orphanIntervalMs` (default `config.orphanSweepIntervalMs`),
   * first after one interval, and the schedule firing pass (`schedules.fireDue`) every
   * `scheduleIntervalMs` (default 1000; 0 = this instance fires no schedules). Idempotent.
   */
  start(
    options: { intervalMs?: number; orphanIntervalMs?: number; scheduleIntervalMs?: number } = {},
  ): ResultAsync<void, DalstonError> {
    const parsed = parseInput(z.int().min(1).default(5000), options.intervalMs, 'intervalMs');
    if (parsed.isErr()) return errAsync(parsed.error);
    const orphans = parseInput(z.int().min(1).optional(), options.orphanIntervalMs, 'orphanIntervalMs');
    if (orphans.isErr()) return errAsync(orphans.error);
    const firing = parseInput(z.int().min(0).default(1000), options.scheduleIntervalMs, 'scheduleIntervalMs');
    if (firing.isErr()) return errAsync(firing.error);
    if (this.cancelTimer || this.runtime.closed) return okAsync(undefined);
    if (firing.value > 0) this.schedules.start(firing.value);
    const tick = () => {
      this.running = this.runAll().finally(() => {
        if (this.cancelTimer) this.cancelTimer = this.clock.setTimer(tick, parsed.value);
      });
    };
    this.cancelTimer = this.clock.setTimer(tick, 0);
    const orphanMs = orphans.value ?? this.config.orphanSweepIntervalMs;
    const orphanTick = () => {
      this.sweeping = this.runOrphanSweep().finally(() => {
        if (this.cancelOrphanTimer) this.cancelOrphanTimer = this.clock.setTimer(orphanTick, orphanMs);
      });
    };
    this.cancelOrphanTimer = this.clock.setTimer(orphanTick, orphanMs);
    return okAsync(undefined);
  }

  /** Stops the timers; waits for running rounds to end. */
  stop(): ResultAsync<void, DalstonError> {
    const cancels = [this.cancelTimer, this.cancelOrphanTimer];
    this.cancelTimer = null;
    this.cancelOrphanTimer = null;
    for (const cancel of cancels) cancel?.();
    return attempt(async () => {
      await Promise.all([
        this.running?.catch(() => undefined),
        this.sweeping?.catch(() => undefined),
        this.schedules.stop(),
      ]);
    });
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private async runAll(): Promise<void> {
    for (const [name, run] of [
      ['reconcile', () => this.reconcile()],
      ['relay', () => this.relayEvents()],
      ['sessions', () => this.sweepSessions()],
      ['purge', () => this.purgeExpired()],
      ['rows', () => this.deleteExpiredRows()],
    ] as const) {
      const r = await run();
      if (r.isErr()) this.logger.warn('maintenance pass failed', { pass: name, error: r.error.message });
    }
  }

  private async runOrphanSweep(): Promise<void> {
    const r = await this.sweepOrphans();
    if (r.isErr()) this.logger.warn('maintenance pass failed', { pass: 'orphans', error: r.error.message });
  }

  private budget(): PassBudget {
    return new PassBudget(this.clock, this.config.maintenancePassBudgetMs);
  }

  private async pass<T>(
    name: string,
    counts: ReconcileCounts | null,
    fn: () => Promise<T>,
  ): Promise<T | null> {
    const r = await this.jobStore.exclusive(`dalston:${name}`, { ttlMs: PASS_TTL_MS }, () =>
      this.telemetry.timePass(name, fn),
    );
    if (r.ran) return r.value;
    counts?.skipped.push(name);
    return null;
  }

  private async relay(): Promise<number> {
    let relayed = 0;
    for (let i = 0; i < 100; i++) {
      const events = await this.jobStore.unpublishedEvents(
        this.clock.now() - this.config.eventRelayDelayMs,
        RELAY_PAGE,
      );
      if (events.length === 0) break;
      await this.bus.publish(events);
      await this.jobStore.markPublished(events.map((e) => e.id));
      relayed += events.length;
      if (events.length < RELAY_PAGE) break;
    }
    return relayed;
  }

  private sessionSweepDeps() {
    return {
      sessionArchive: this.sessionArchive,
      sessionStore: this.sessionStore,
      sessions: this.sessions,
      clock: this.clock,
    };
  }

  private reconcileDeps(): ReconcileDeps {
    return {
      jobStore: this.jobStore,
      workQueue: this.workQueue,
      rateLimitStore: this.rateLimitStore,
      tenantStore: this.tenantStore,
      sessionArchive: this.sessionArchive,
      clock: this.clock,
      config: this.config,
      transitions: this.transitions,
      runtime: this.runtime,
      telemetry: this.telemetry,
    };
  }

  private retentionDeps() {
    return {
      jobStore: this.jobStore,
      artifacts: this.artifacts,
      sessionArchive: this.sessionArchive,
      clock: this.clock,
      logger: this.logger,
    };
  }
}
