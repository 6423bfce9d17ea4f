/**
 * STORE_UNAVAILABLE says whether the write may have been applied: a connection lost after
 * the statement was sent is marked `outcomeUnknown` (the server may have committed without
 * its answer arriving), a server that refuses the connection is not (nothing was sent).
 * Core keeps a submit's input and slot only in the first case.
 */
import { randomUUID } from 'node:crypto';
import { DalstonError, isOutcomeUnknown } from '@dalston/core/adapter';
import { makeEvent, makeJob, makeTask } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { PostgresJobStore } from '../src/job-store.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('outcome');

async function rejection(p: Promise<unknown>): Promise<DalstonError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DalstonError);
  expect((e as DalstonError).code).toBe('STORE_UNAVAILABLE');
  return e as DalstonError;
}

describe('postgres: outcome of a failed write', () => {
  it('a backend terminated while createJob runs: STORE_UNAVAILABLE marked outcomeUnknown', async () => {
    const app = `dalston-outcome-${randomUUID().slice(0, 8)}`;
    const store = new PostgresJobStore(db.options({ applicationName: app, max: 2 }));
    const raw = db.raw();
    try {
      const other = makeJob();
      const job = makeJob();
      const clash = makeTask(job, { stage: 'x' });
      await store.createJob({ job: other, tasks: [], events: [] });
      // An uncommitted insert of the same task id makes createJob wait mid-statement.
      const blocker = await raw.connect();
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO "${db.schema}".tasks (id, job_id, tenant_id, position, stage, queue, required, status,
           attempt, failures, lost_leases, max_attempts, timeout_ms, backoff, priority, created_at, version)
         VALUES ($1, $2, $3, 0, 'y', 'q', true, 'pending', 1, 0, 0, 1, 1, '{}', 0, now(), 1)`,
        [clash.id, other.id, other.tenantId],
      );
      const pending = store.createJob({ job, tasks: [clash], events: [makeEvent(job)] });
      const deadline = Date.now() + 5000;
      for (;;) {
        const { rows } = await raw.query(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [app],
        );
        if (rows[0]) {
          await raw.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
          break;
        }
        if (Date.now() > deadline) throw new Error('createJob never blocked');
        await new Promise((r) => setTimeout(r, 10));
      }
      const error = await rejection(pending);
      await blocker.query('ROLLBACK');
      blocker.release();
      expect(error.operation).toBe('createJob');
      expect(isOutcomeUnknown(error)).toBe(true);
      expect(error.toJSON()).toMatchObject({ details: { outcomeUnknown: true } });
      // The next call, on a fresh connection, is not marked.
      expect((await store.createJob({ job, tasks: [clash], events: [] })).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a server that refuses the connection: STORE_UNAVAILABLE, not marked (nothing was sent)', async () => {
    const store = new PostgresJobStore({
      connectionString: 'postgres://postgres@127.0.0.1:1/nowhere',
      schema: 'dalston',
      connectionTimeoutMillis: 2000,
    });
    try {
      const job = makeJob();
      const error = await rejection(store.createJob({ job, tasks: [], events: [] }));
      expect(isOutcomeUnknown(error)).toBe(false);
      expect(isOutcomeUnknown(await rejection(store.getJob('t', 'j')))).toBe(false);
    } finally {
      await store.close();
    }
  });
});
