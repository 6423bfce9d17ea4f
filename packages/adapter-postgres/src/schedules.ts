/**
 * The JobStore's schedule methods in PostgreSQL (PostgresJobStore delegates here), on the
 * `schedules` and `schedule_ticks` tables (migration 0004). A tick is claimed by one
 * statement: `INSERT … ON CONFLICT (schedule_id, tick) DO NOTHING` on the ledger, and in the
 * same statement (a data-modifying CTE, so one snapshot and one transaction) the schedule's
 * next_tick moves on only when the insert went in. Inputs are trusted (core validated them).
 */
import type {
  ClaimScheduleTick,
  JobStoreSchedules,
  Schedule,
  ScheduleTick,
  SettleScheduleTick,
} from '@dalston/core/adapter';
import type { Database } from './database.js';
import { msCol, num } from './values.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const scheduleColumns = (a = 's') =>
  [
    `${a}.id`,
    `${a}.tenant_id`,
    `${a}.type`,
    `${a}.cron`,
    `${a}.timezone`,
    `${a}.parameters`,
    `${a}.overlap`,
    `${a}.catch_up`,
    `${a}.paused`,
    msCol(`${a}.next_tick`, 'next_tick'),
    msCol(`${a}.last_tick`, 'last_tick'),
    `${a}.last_job_id`,
    msCol(`${a}.created_at`, 'created_at'),
    msCol(`${a}.updated_at`, 'updated_at'),
  ].join(', ');

const tickColumns = (a = 'k') =>
  [
    `${a}.schedule_id`,
    msCol(`${a}.tick`, 'tick'),
    `${a}.outcome`,
    `${a}.job_id`,
    `${a}.reason`,
    msCol(`${a}.claimed_at`, 'claimed_at'),
  ].join(', ');

// biome-ignore lint/suspicious/noExplicitAny: a pg row
type Row = Record<string, any>;

function rowToSchedule(r: Row): Schedule {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    cron: r.cron,
    timezone: r.timezone,
    parameters: r.parameters,
    overlap: r.overlap,
    catchUp: r.catch_up,
    paused: r.paused,
    nextTick: num(r.next_tick),
    lastTick: num(r.last_tick),
    lastJobId: r.last_job_id,
    createdAt: num(r.created_at)!,
    updatedAt: num(r.updated_at)!,
  };
}

function rowToTick(r: Row): ScheduleTick {
  return {
    scheduleId: r.schedule_id,
    tick: num(r.tick)!,
    outcome: r.outcome,
    jobId: r.job_id,
    reason: r.reason,
    claimedAt: num(r.claimed_at)!,
  };
}

export class PostgresSchedules implements JobStoreSchedules {
  constructor(private readonly db: Database) {}

  private async rows(operation: string, key: string, build: () => string, values: unknown[]): Promise<Row[]> {
    const res = await this.db.query('jobStore', operation, this.db.prepared(key, build), values);
    return res.rows;
  }

  async upsertSchedule(s: Schedule): Promise<Schedule> {
    const rows = await this.rows(
      'upsertSchedule',
      'upsert_schedule',
      () => `INSERT INTO ${this.db.t('schedules')} AS s (id, tenant_id, type, cron, timezone, parameters,
          overlap, catch_up, paused, next_tick, last_tick, last_job_id, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10::timestamptz, $11::timestamptz, $12,
          $13::timestamptz, $14::timestamptz)
        ON CONFLICT (id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, type = EXCLUDED.type,
          cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, parameters = EXCLUDED.parameters,
          overlap = EXCLUDED.overlap, catch_up = EXCLUDED.catch_up, paused = EXCLUDED.paused,
          next_tick = EXCLUDED.next_tick, last_tick = EXCLUDED.last_tick,
          last_job_id = EXCLUDED.last_job_id, updated_at = EXCLUDED.updated_at
        RETURNING ${scheduleColumns()}`,
      [
        s.id,
        s.tenantId,
        s.type,
        s.cron,
        s.timezone,
        JSON.stringify(s.parameters),
        s.overlap,
        s.catchUp,
        s.paused,
        iso(s.nextTick),
        iso(s.lastTick),
        s.lastJobId,
        iso(s.createdAt),
        iso(s.updatedAt),
      ],
    );
    return rowToSchedule(rows[0]!);
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    const rows = await this.rows(
      'getSchedule',
      'get_schedule',
      () => `SELECT ${scheduleColumns()} FROM ${this.db.t('schedules')} s WHERE s.id = $1`,
      [id],
    );
    return rows[0] ? rowToSchedule(rows[0]) : null;
  }

  async listSchedules(limit: number, afterId?: string): Promise<Schedule[]> {
    const rows = await this.rows(
      'listSchedules',
      'list_schedules',
      () => `SELECT ${scheduleColumns()} FROM ${this.db.t('schedules')} s
        WHERE ($2::text IS NULL OR s.id > $2) ORDER BY s.id LIMIT $1`,
      [limit, afterId ?? null],
    );
    return rows.map(rowToSchedule);
  }

  async setSchedulePaused(
    id: string,
    paused: boolean,
    nextTick: number | null,
    updatedAt: number,
  ): Promise<Schedule | null> {
    const rows = await this.rows(
      'setSchedulePaused',
      'pause_schedule',
      () => `UPDATE ${this.db.t('schedules')} s SET paused = $2, next_tick = $3::timestamptz,
          updated_at = $4::timestamptz WHERE s.id = $1 RETURNING ${scheduleColumns()}`,
      [id, paused, iso(nextTick), iso(updatedAt)],
    );
    return rows[0] ? rowToSchedule(rows[0]) : null;
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const res = await this.db.query(
      'jobStore',
      'deleteSchedule',
      `DELETE FROM ${this.db.t('schedules')} WHERE id = $1`,
      [id],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Uses the partial index schedules_due. */
  async dueSchedules(now: number, limit: number): Promise<Schedule[]> {
    const rows = await this.rows(
      'dueSchedules',
      'due_schedules',
      () => `SELECT ${scheduleColumns()} FROM ${this.db.t('schedules')} s
        WHERE NOT s.paused AND s.next_tick IS NOT NULL AND s.next_tick <= $1::timestamptz
        ORDER BY s.next_tick, s.id LIMIT $2`,
      [iso(now), limit],
    );
    return rows.map(rowToSchedule);
  }

  /**
   * One statement: the ledger insert (the claim) and, only when it went in, the schedule's
   * move to its next tick and the pruning of its old settled ticks.
   */
  async claimScheduleTick(c: ClaimScheduleTick): Promise<boolean> {
    const rows = await this.rows(
      'claimScheduleTick',
      'claim_schedule_tick',
      () => `WITH claimed AS (
          INSERT INTO ${this.db.t('schedule_ticks')} (schedule_id, tick, outcome, reason, claimed_at)
          SELECT s.id, $2::timestamptz, $4, $5, $6::timestamptz FROM ${this.db.t('schedules')} s WHERE s.id = $1
          ON CONFLICT (schedule_id, tick) DO NOTHING
          RETURNING schedule_id
        ), moved AS (
          UPDATE ${this.db.t('schedules')} s SET next_tick = $3::timestamptz, last_tick = $2::timestamptz
          WHERE s.id IN (SELECT schedule_id FROM claimed) RETURNING s.id
        ), pruned AS (
          DELETE FROM ${this.db.t('schedule_ticks')} k
          WHERE k.schedule_id IN (SELECT schedule_id FROM claimed) AND k.tick < $7::timestamptz
            AND k.outcome <> 'pending'
        )
        SELECT count(*)::int AS n FROM moved`,
      [c.scheduleId, iso(c.tick), iso(c.nextTick), c.outcome, c.reason, iso(c.claimedAt), iso(c.pruneBefore)],
    );
    return rows[0]!.n === 1;
  }

  async settleScheduleTick(s: SettleScheduleTick): Promise<boolean> {
    const rows = await this.rows(
      'settleScheduleTick',
      'settle_schedule_tick',
      () => `WITH settled AS (
          UPDATE ${this.db.t('schedule_ticks')} k SET outcome = $3, job_id = $4, reason = $5
          WHERE k.schedule_id = $1 AND k.tick = $2::timestamptz AND k.outcome = 'pending'
          RETURNING k.schedule_id
        ), linked AS (
          UPDATE ${this.db.t('schedules')} s SET last_job_id = $4
          WHERE $4::text IS NOT NULL AND s.id IN (SELECT schedule_id FROM settled) RETURNING s.id
        )
        SELECT (SELECT count(*) FROM settled)::int AS n, (SELECT count(*) FROM linked)::int AS linked`,
      [s.scheduleId, iso(s.tick), s.outcome, s.jobId, s.reason],
    );
    return rows[0]!.n === 1;
  }

  /** Uses the partial index schedule_ticks_pending. */
  async pendingScheduleTicks(limit: number): Promise<ScheduleTick[]> {
    const rows = await this.rows(
      'pendingScheduleTicks',
      'pending_schedule_ticks',
      () => `SELECT ${tickColumns()} FROM ${this.db.t('schedule_ticks')} k WHERE k.outcome = 'pending'
        ORDER BY k.claimed_at, k.tick, k.schedule_id LIMIT $1`,
      [limit],
    );
    return rows.map(rowToTick);
  }

  /** Uses the primary key (schedule_id, tick) backwards. */
  async listScheduleTicks(scheduleId: string, limit: number): Promise<ScheduleTick[]> {
    const rows = await this.rows(
      'listScheduleTicks',
      'list_schedule_ticks',
      () => `SELECT ${tickColumns()} FROM ${this.db.t('schedule_ticks')} k WHERE k.schedule_id = $1
        ORDER BY k.tick DESC LIMIT $2`,
      [scheduleId, limit],
    );
    return rows.map(rowToTick);
  }
}
