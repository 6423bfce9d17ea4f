/** PostgresSessionArchive: durable session records (`{schema}.session_records`). */
import type { SessionArchive, SessionClose, SessionCursor, SessionRecord } from '@dalston/core/adapter';
import { Database } from './database.js';
import type { PostgresAdapterOptions } from './options.js';
import { type Ctx, canMatch, json, key, ms, msCol, num, text } from './values.js';

const ctx = (operation: string): Ctx => ({ store: 'sessionArchive', operation });
const COLUMNS = [
  'id',
  'tenant_id',
  'status',
  'worker_id',
  msCol('started_at'),
  msCol('ended_at'),
  'stats',
  'artifacts',
  'error',
].join(', ');

const rowToRecord = (r: Record<string, unknown>): SessionRecord => ({
  id: r.id as string,
  tenantId: r.tenant_id as string,
  status: r.status as SessionRecord['status'],
  workerId: r.worker_id as string | null,
  startedAt: num(r.started_at)!,
  endedAt: num(r.ended_at),
  stats: r.stats as SessionRecord['stats'],
  artifacts: r.artifacts as SessionRecord['artifacts'],
  error: r.error as string | null,
});

export class PostgresSessionArchive implements SessionArchive {
  private readonly db: Database;

  constructor(
    options: PostgresAdapterOptions | Database,
    private readonly ownsDb = !(options instanceof Database),
  ) {
    this.db = options instanceof Database ? options.view() : new Database(options);
  }

  async open(record: SessionRecord): Promise<SessionRecord> {
    const c = ctx('open');
    const values = [
      key(c, 'record.id', record.id),
      key(c, 'record.tenantId', record.tenantId),
      text(c, 'record.status', record.status),
      text(c, 'record.workerId', record.workerId, { nullable: true }),
      ms(c, 'record.startedAt', record.startedAt),
      ms(c, 'record.endedAt', record.endedAt, true),
      json(c, 'record.stats', record.stats),
      json(c, 'record.artifacts', record.artifacts),
      text(c, 'record.error', record.error, { nullable: true }),
    ];
    const { rows } = await this.db.query(
      'sessionArchive',
      'open',
      `INSERT INTO ${this.db.t('session_records')}
         (id, tenant_id, status, worker_id, started_at, ended_at, stats, artifacts, error)
       VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7::jsonb, $8::jsonb, $9)
       RETURNING ${COLUMNS}`,
      values,
    );
    return rowToRecord(rows[0]!);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    if (!canMatch(tenantId, sessionId)) return null;
    const { rows } = await this.db.query(
      'sessionArchive',
      'get',
      `SELECT ${COLUMNS} FROM ${this.db.t('session_records')} WHERE id = $1 AND tenant_id = $2`,
      [sessionId, tenantId],
    );
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async closeRecord(tenantId: string, sessionId: string, close: SessionClose): Promise<SessionRecord | null> {
    const c = ctx('closeRecord');
    const values = [
      sessionId,
      tenantId,
      text(c, 'close.status', close.status),
      ms(c, 'close.endedAt', close.endedAt),
      json(c, 'close.stats', close.stats),
      json(c, 'close.artifacts', close.artifacts),
      text(c, 'close.error', close.error, { nullable: true }),
    ];
    if (!canMatch(tenantId, sessionId)) return null;
    // Compare-and-set on status: the first close wins.
    const { rows } = await this.db.query(
      'sessionArchive',
      'closeRecord',
      `UPDATE ${this.db.t('session_records')}
       SET status = $3, ended_at = $4::timestamptz, stats = $5::jsonb, artifacts = $6::jsonb, error = $7
       WHERE id = $1 AND tenant_id = $2 AND status = 'active' RETURNING ${COLUMNS}`,
      values,
    );
    return rows[0] ? rowToRecord(rows[0]) : null;
  }

  async listActive(startedBefore: number, max: number, after?: SessionCursor): Promise<SessionRecord[]> {
    const c = ctx('listActive');
    const { rows } = await this.db.query(
      'sessionArchive',
      'listActive',
      `SELECT ${COLUMNS} FROM ${this.db.t('session_records')}
       WHERE status = 'active' AND started_at < $1::timestamptz
         AND ($3::timestamptz IS NULL OR (started_at, id) > ($3::timestamptz, $4::text))
       ORDER BY started_at, id LIMIT $2`,
      [
        ms(c, 'startedBefore', startedBefore),
        max,
        after ? ms(c, 'after.startedAt', after.startedAt) : null,
        after ? text(c, 'after.id', after.id) : null,
      ],
    );
    return rows.map(rowToRecord);
  }

  async listByTenant(tenantId: string, max: number, before?: SessionCursor): Promise<SessionRecord[]> {
    if (!canMatch(tenantId)) return [];
    const c = ctx('listByTenant');
    const { rows } = await this.db.query(
      'sessionArchive',
      'listByTenant',
      `SELECT ${COLUMNS} FROM ${this.db.t('session_records')}
       WHERE tenant_id = $1
         AND ($3::timestamptz IS NULL OR (started_at, id) < ($3::timestamptz, $4::text))
       ORDER BY started_at DESC, id DESC LIMIT $2`,
      [
        tenantId,
        max,
        before ? ms(c, 'before.startedAt', before.startedAt) : null,
        before ? text(c, 'before.id', before.id) : null,
      ],
    );
    return rows.map(rowToRecord);
  }

  async activeIds(tenantId: string): Promise<string[]> {
    if (!canMatch(tenantId)) return [];
    const { rows } = await this.db.query<{ id: string }>(
      'sessionArchive',
      'activeIds',
      `SELECT id FROM ${this.db.t('session_records')} WHERE tenant_id = $1 AND status = 'active' ORDER BY id`,
      [tenantId],
    );
    return rows.map((r) => r.id);
  }

  async tenantsWithActive(): Promise<string[]> {
    const { rows } = await this.db.query<{ tenant_id: string }>(
      'sessionArchive',
      'tenantsWithActive',
      `SELECT DISTINCT tenant_id FROM ${this.db.t('session_records')} WHERE status = 'active' ORDER BY tenant_id`,
    );
    return rows.map((r) => r.tenant_id);
  }

  async ping(): Promise<void> {
    await this.db.ping('sessionArchive');
  }

  /** Later calls reject CLOSED; ends the pool only when this archive created it. */
  async close(): Promise<void> {
    await this.db.closeStore(this.ownsDb);
  }
}
