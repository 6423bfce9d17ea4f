/**
 * Publishes recorded events on the EventBus, then marks them published in the outbox.
 * Best effort: a failure is logged and left to the relay (`maintenance.relayEvents`),
 * which republishes whatever stays unpublished.
 *
 * Publishing is coalesced: the events of every `publish` call made before the next
 * `setImmediate` (the after-commit steps of concurrent transitions whose results arrived
 * in the same turn of the event loop) go out as one `EventBus.publish` call, in call order,
 * so one Redis pipeline carries them all. Each caller still learns whether its own events
 * went out. The events are the engine's own (built by `decide` and returned by the store):
 * they are not validated again here.
 *
 * Marking is batched: published ids are collected and written with one
 * `markPublished(ids)` per flush instead of one per publish. With `eventRelayDelayMs`
 * > 0 a flush runs at most `MARK_FLUSH_MS` (and at most half of `eventRelayDelayMs`)
 * of engine-clock time after the first unmarked id, so the relay (which only picks up
 * events older than `eventRelayDelayMs`) should rarely see them; republishing is allowed
 * (delivery is at-least-once). With `eventRelayDelayMs` = 0 every publish waits for the
 * flush, which batches the publishes of the same tick. `flush()` (called by the engine's
 * `close()` before the adapters close) writes what is pending.
 */

import type { DalstonConfig } from '../../config.js';
import { toDalstonError } from '../../domain/errors.js';
import type { DalstonEvent } from '../../domain/events.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import { eventsJobFields } from './job-log.js';

/** Longest a published id waits to be marked (engine-clock milliseconds). */
export const MARK_FLUSH_MS = 50;
/** A flush starts at once when this many ids are pending. */
export const MARK_FLUSH_MAX_IDS = 500;

export class EventPublisher {
  static readonly inject = [
    TOKENS.eventBus,
    TOKENS.jobStore,
    TOKENS.logger,
    TOKENS.clock,
    TOKENS.config,
  ] as const;

  private pending: number[] = [];
  /** Events waiting for the next coalesced bus publish, and their callers. */
  private batch: { events: DalstonEvent[]; done: Promise<boolean> } | null = null;
  private cancelTimer: (() => void) | null = null;
  /** The flush every publish of the current tick waits for (eventRelayDelayMs = 0, or closed). */
  private immediate: Promise<void> | null = null;
  private inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly bus: EventBus,
    private readonly jobStore: JobStore,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly config: DalstonConfig,
  ) {}

  /** Never rejects. Returns whether the events were published (marking may follow later). */
  async publish(events: readonly DalstonEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    if (!this.batch) {
      const batch = { events: [] as DalstonEvent[], done: Promise.resolve(false) };
      batch.done = new Promise<void>((r) => setImmediate(r)).then(() => {
        this.batch = null;
        return this.send(batch.events);
      });
      this.batch = batch;
    }
    for (const e of events) this.batch.events.push(e);
    const published = await this.batch.done;
    if (published && (this.closed || this.config.eventRelayDelayMs === 0)) await this.flushSoon();
    return published;
  }

  /** One bus publish for a coalesced batch; queues the ids to mark. */
  private async send(events: DalstonEvent[]): Promise<boolean> {
    try {
      await this.bus.publish(events);
    } catch (e) {
      this.logger.warn('event publish failed; the relay will retry', {
        ...eventsJobFields(events),
        error: toDalstonError(e).message,
        firstEventId: events[0]!.id,
        count: events.length,
      });
      return false;
    }
    for (const e of events) this.pending.push(e.id);
    if (this.closed || this.config.eventRelayDelayMs === 0) {
      // The callers wait for the flush (publish above); nothing to schedule here.
    } else if (this.pending.length >= MARK_FLUSH_MAX_IDS) {
      void this.flushNow();
    } else if (!this.cancelTimer) {
      const delay = Math.max(1, Math.min(MARK_FLUSH_MS, Math.floor(this.config.eventRelayDelayMs / 2)));
      this.cancelTimer = this.clock.setTimer(() => {
        this.cancelTimer = null;
        void this.flushNow();
      }, delay);
    }
    return true;
  }

  /**
   * Marks every pending id published now and waits for earlier flushes. Never rejects;
   * a failed mark is logged (the relay republishes those events).
   */
  async flush(): Promise<void> {
    await this.batch?.done;
    await this.flushNow();
    await Promise.all([...this.inFlight]);
  }

  /** Flushes what is pending, then marks every later publish at once. Called by the engine's close(). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** One flush shared by every publish of the current tick. */
  private flushSoon(): Promise<void> {
    this.immediate ??= Promise.resolve().then(() => {
      this.immediate = null;
      return this.flushNow();
    });
    return this.immediate;
  }

  private flushNow(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.pending.length === 0) return Promise.resolve();
    const ids = this.pending;
    this.pending = [];
    const p = this.jobStore.markPublished(ids).catch((e: unknown) => {
      this.logger.warn('marking events published failed; the relay will republish them', {
        error: e instanceof Error ? e.message : String(e),
        firstEventId: ids[0],
        count: ids.length,
      });
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }
}
