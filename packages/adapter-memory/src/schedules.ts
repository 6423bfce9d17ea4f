/**
 * The JobStore's schedule methods in memory (MemoryJobStore delegates here): schedules by
 * id and a tick ledger keyed by (schedule, tick), so a tick is claimed once, like the
 * PostgreSQL primary key. Everything returned is a copy; inputs are trusted (core validated
 * them).
 */
import type {
  ClaimScheduleTick,
  JobStoreSchedules,
  Schedule,
  ScheduleTick,
  SettleScheduleTick,
} from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { compareText } from './text-order.js';

export class MemorySchedules implements JobStoreSchedules {
  private readonly schedules = new Map<string, Schedule>();
  /** Per schedule: tick (epoch ms) → its record. */
  private readonly ticks = new Map<string, Map<number, ScheduleTick>>();

  /** `guard(operation)` throws when the owning store is closed. */
  constructor(private readonly guard: (operation: string) => void) {}

  async upsertSchedule(schedule: Schedule): Promise<Schedule> {
    this.guard('upsertSchedule');
    const existing = this.schedules.get(schedule.id);
    const stored = { ...copy(schedule), createdAt: existing?.createdAt ?? schedule.createdAt };
    this.schedules.set(stored.id, stored);
    return copy(stored);
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    this.guard('getSchedule');
    const s = this.schedules.get(id);
    return s ? copy(s) : null;
  }

  async listSchedules(limit: number, afterId?: string): Promise<Schedule[]> {
    this.guard('listSchedules');
    return [...this.schedules.values()]
      .filter((s) => afterId === undefined || compareText(s.id, afterId) > 0)
      .sort((a, b) => compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async setSchedulePaused(
    id: string,
    paused: boolean,
    nextTick: number | null,
    updatedAt: number,
  ): Promise<Schedule | null> {
    this.guard('setSchedulePaused');
    const s = this.schedules.get(id);
    if (!s) return null;
    Object.assign(s, { paused, nextTick, updatedAt });
    return copy(s);
  }

  async deleteSchedule(id: string): Promise<boolean> {
    this.guard('deleteSchedule');
    this.ticks.delete(id);
    return this.schedules.delete(id);
  }

  async dueSchedules(now: number, limit: number): Promise<Schedule[]> {
    this.guard('dueSchedules');
    return [...this.schedules.values()]
      .filter((s) => !s.paused && s.nextTick !== null && s.nextTick <= now)
      .sort((a, b) => a.nextTick! - b.nextTick! || compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async claimScheduleTick(claim: ClaimScheduleTick): Promise<boolean> {
    this.guard('claimScheduleTick');
    const s = this.schedules.get(claim.scheduleId);
    if (!s) return false;
    let ticks = this.ticks.get(s.id);
    if (!ticks) {
      ticks = new Map();
      this.ticks.set(s.id, ticks);
    }
    if (ticks.has(claim.tick)) return false;
    for (const [tick, t] of ticks)
      if (tick < claim.pruneBefore && t.outcome !== 'pending') ticks.delete(tick);
    ticks.set(claim.tick, {
      scheduleId: s.id,
      tick: claim.tick,
      outcome: claim.outcome,
      jobId: null,
      reason: claim.reason,
      claimedAt: claim.claimedAt,
    });
    s.nextTick = claim.nextTick;
    s.lastTick = claim.tick;
    return true;
  }

  async settleScheduleTick(settle: SettleScheduleTick): Promise<boolean> {
    this.guard('settleScheduleTick');
    const t = this.ticks.get(settle.scheduleId)?.get(settle.tick);
    if (t?.outcome !== 'pending') return false;
    Object.assign(t, { outcome: settle.outcome, jobId: settle.jobId, reason: settle.reason });
    const s = this.schedules.get(settle.scheduleId);
    if (s && settle.jobId !== null) s.lastJobId = settle.jobId;
    return true;
  }

  async pendingScheduleTicks(limit: number): Promise<ScheduleTick[]> {
    this.guard('pendingScheduleTicks');
    return [...this.ticks.values()]
      .flatMap((m) => [...m.values()])
      .filter((t) => t.outcome === 'pending')
      .sort((a, b) => a.claimedAt - b.claimedAt || a.tick - b.tick || compareText(a.scheduleId, b.scheduleId))
      .slice(0, limit)
      .map(copy);
  }

  async listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]> {
    this.guard('listScheduleTicks');
    return [...(this.ticks.get(scheduleId)?.values() ?? [])]
      .sort((a, b) => b.tick - a.tick)
      .slice(0, limit)
      .map(copy);
  }
}
