/**
 * maintenance: the passes that keep the engine healing — reconcile, the event relay,
 * retention purge, orphan sweep, session sweep — each run under the JobStore's
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
import { JobTransitions } from '../engine/job-transitions.js';
import { attempt, parseInput } from '../engine/result.js';
import type { Closable, EngineRuntime } from '../engine/runtime.js';
import { SessionsService } from '../sessions/sessions-service.js';
import {
  expireLeases,
  failDeadLettered,
  type ReconcileDeps,
  requeueReady,
  resyncSlots,
} from './reconcile.js';
import { type OrphanCounts, purgeDue, sweepOrphanObjects } from './retention.js';

/** How long a crashed pass holder keeps a pass to itself. */
const PASS_TTL_MS = 5 * 60_000;
const RELAY_PAGE = 500;
/** A record this young may be between its archive open and its live create: never swept. */
const SESSION_START_GRACE_MS = 1000;

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
  ] as const;

  private cancelTimer: (() => void) | null = null;
  private running: Promise<unknown> | null = null;

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
  ) {
    runtime.closables.add(this);
  }

  /** Re-enqueues ready tasks, expires lost leases, fails dead-lettered tasks, resyncs slots. */
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
      counts.deadLettered = (await this.pass('dead-letters', counts, () => failDeadLettered(deps))) ?? 0;
      counts.requeued = (await this.pass('requeue', counts, () => requeueReady(deps))) ?? 0;
      counts.tenantsResynced = (await this.pass('slots', counts, () => resyncSlots(deps))) ?? 0;
      return counts;
    });
  }

  /** Publishes committed events that were not published (the outbox relay). Returns how many. */
  relayEvents(): ResultAsync<number, DalstonError> {
    return attempt(async () => (await this.pass('relay', null, () => this.relay())) ?? 0);
  }

  /** Deletes the objects of jobs past retention and marks them purged. Returns how many jobs. */
  purgeExpired(): ResultAsync<number, DalstonError> {
    return attempt(async () => (await this.pass('purge', null, () => purgeDue(this.retentionDeps()))) ?? 0);
  }

  /** Deletes objects without a row, older than `graceMs` (default config.orphanGraceMs), and stale uploads. */
  sweepOrphans(options: { graceMs?: number } = {}): ResultAsync<OrphanCounts, DalstonError> {
    const grace = parseInput(z.int().min(0).optional(), options.graceMs, 'graceMs');
    if (grace.isErr()) return errAsync(grace.error);
    const graceMs = grace.value ?? this.config.orphanGraceMs;
    return attempt(
      async () =>
        (await this.pass('orphans', null, () => sweepOrphanObjects(this.retentionDeps(), graceMs))) ?? {
          deleted: 0,
          abortedUploads: 0,
        },
    );
  }

  /** Closes as `interrupted` the active session records whose live state expired. Returns how many. */
  sweepSessions(): ResultAsync<number, DalstonError> {
    return attempt(async () => (await this.pass('sessions', null, () => this.sweepExpiredSessions())) ?? 0);
  }

  /** Runs every pass now and then every `intervalMs` on the engine's clock. Idempotent. */
  start(options: { intervalMs?: number } = {}): ResultAsync<void, DalstonError> {
    const parsed = parseInput(z.int().min(1).default(5000), options.intervalMs, 'intervalMs');
    if (parsed.isErr()) return errAsync(parsed.error);
    if (this.cancelTimer || this.runtime.closed) return okAsync(undefined);
    const tick = () => {
      this.running = this.runAll().finally(() => {
        if (this.cancelTimer) this.cancelTimer = this.clock.setTimer(tick, parsed.value);
      });
    };
    this.cancelTimer = this.clock.setTimer(tick, 0);
    return okAsync(undefined);
  }

  /** Stops the timers; waits for a running round to end. */
  stop(): ResultAsync<void, DalstonError> {
    const cancel = this.cancelTimer;
    this.cancelTimer = null;
    cancel?.();
    return attempt(async () => {
      await this.running?.catch(() => undefined);
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
    ] as const) {
      const r = await run();
      if (r.isErr()) this.logger.warn('maintenance pass failed', { pass: name, error: r.error.message });
    }
  }

  private async pass<T>(
    name: string,
    counts: ReconcileCounts | null,
    fn: () => Promise<T>,
  ): Promise<T | null> {
    const r = await this.jobStore.exclusive(`dalston:${name}`, { ttlMs: PASS_TTL_MS }, fn);
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

  private async sweepExpiredSessions(): Promise<number> {
    const records = await this.sessionArchive.listActive(this.clock.now() - SESSION_START_GRACE_MS, 500);
    let swept = 0;
    for (const r of records) {
      if (await this.sessionStore.get(r.tenantId, r.id)) continue;
      const ended = await this.sessions.end(r.tenantId, r.id, {
        status: 'interrupted',
        error: 'live state expired',
      });
      if (ended.isOk() && ended.value.status === 'interrupted') swept++;
    }
    return swept;
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
