/**
 * The PostgreSQL JobStore's queue pause switches (QueueControlStore), in the
 * `queue_control` table (migration `queue_control`). Inputs come validated from core.
 */
import type { QueueControl } from '@dalston/core/adapter';
import type { Database } from './database.js';
import { msCol } from './values.js';

interface Row {
  queue: string;
  paused: boolean;
  changed_at: number;
}

const toControl = (r: Row): QueueControl => ({
  queue: r.queue,
  paused: r.paused,
  changedAt: Number(r.changed_at),
});

/** Sets the switch; `changed_at` moves only when `paused` changes (idempotent). */
export async function setQueuePaused(
  db: Database,
  queue: string,
  paused: boolean,
  at: number,
): Promise<QueueControl> {
  const table = db.t('queue_control');
  const sql = db.prepared(
    'set_queue_paused',
    () => `INSERT INTO ${table} AS c (queue, paused, changed_at) VALUES ($1, $2, $3::timestamptz)
      ON CONFLICT (queue) DO UPDATE SET paused = EXCLUDED.paused,
        changed_at = CASE WHEN c.paused = EXCLUDED.paused THEN c.changed_at ELSE EXCLUDED.changed_at END
      RETURNING c.queue, c.paused, ${msCol('c.changed_at', 'changed_at')}`,
  );
  const { rows } = await db.query<Row>('jobStore', 'setQueuePaused', sql, [
    queue,
    paused,
    new Date(at).toISOString(),
  ]);
  return toControl(rows[0]!);
}

/** Every switch, by queue name (byte order: the column is COLLATE "C"). */
export async function queueControls(db: Database): Promise<QueueControl[]> {
  const sql = db.prepared(
    'queue_controls',
    () =>
      `SELECT c.queue, c.paused, ${msCol('c.changed_at', 'changed_at')} FROM ${db.t('queue_control')} c ORDER BY c.queue`,
  );
  const { rows } = await db.query<Row>('jobStore', 'queueControls', sql, []);
  return rows.map(toControl);
}
