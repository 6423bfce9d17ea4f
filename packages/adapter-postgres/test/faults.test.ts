/**
 * Faults on a real server: backends terminated mid-operation (pg_terminate_backend),
 * transactions interrupted half way, a server that is not there, idle clients killed.
 * The adapter's connections are found by their application_name.
 */
import { randomUUID } from 'node:crypto';
import { DalstonError } from '@dalston/core/adapter';
import { makeEvent, makeJob, makeTask, taskWrite } from '@dalston/core/contract';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../test-support/poll.js';
import { PostgresJobStore } from '../src/job-store.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('faults');

const appName = () => `dalston-fault-${randomUUID().slice(0, 8)}`;

/** Waits until a backend of `app` is blocked on a lock, then terminates it. */
async function terminateWhenBlocked(raw: pg.Pool, app: string): Promise<void> {
  const pid = await pollUntil(
    async () => {
      const { rows } = await raw.query(
        `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [app],
      );
      return rows[0]?.pid as number | undefined;
    },
    { what: 'a backend blocked on a lock' },
  );
  await raw.query('SELECT pg_terminate_backend($1)', [pid]);
}

async function expectUnavailable(promise: Promise<unknown>, operation: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DalstonError);
  expect((error as DalstonError).code).toBe('STORE_UNAVAILABLE');
  expect((error as DalstonError).store).toBe('jobStore');
  expect((error as DalstonError).operation).toBe(operation);
  return error as DalstonError;
}

describe('postgres: faults', () => {
  it('a backend terminated during updateJob → STORE_UNAVAILABLE, nothing written, next calls succeed', async () => {
    const app = appName();
    const store = new PostgresJobStore(db.options({ applicationName: app, max: 2 }));
    const raw = db.raw();
    try {
      const job = makeJob();
      const tasks = [
        makeTask(job, { stage: 'a', status: 'ready' }),
        makeTask(job, { stage: 'b', status: 'ready' }),
      ];
      await store.createJob({ job, tasks, events: [] });
      // Hold task b's row lock so updateJob stops half way: task a written, task b waiting.
      const blocker = await raw.connect();
      await blocker.query('BEGIN');
      await blocker.query(`SELECT 1 FROM "${db.schema}".tasks WHERE id = $1 FOR UPDATE`, [tasks[1]!.id]);
      const pending = store.updateJob(job.id, (s) => ({
        job: null,
        tasks: s.tasks.map((t) => taskWrite(t, { status: 'cancelled' })),
        events: [makeEvent(job, { type: 'task.cancelled' })],
      }));
      // It may reject while the termination is still being polled for: handled from now on.
      pending.catch(() => undefined);
      await terminateWhenBlocked(raw, app);
      await expectUnavailable(pending, 'updateJob');
      await blocker.query('ROLLBACK');
      blocker.release();
      // Second channel: nothing of the interrupted transaction survived.
      const { rows } = await raw.query(
        `SELECT status FROM "${db.schema}".tasks WHERE job_id = $1 ORDER BY position`,
        [job.id],
      );
      expect(rows.map((r) => r.status)).toEqual(['ready', 'ready']);
      expect(await store.readEvents({ tenantId: job.tenantId, limit: 10 })).toEqual([]);
      // The pool recovered: the same update now goes through.
      const again = await store.updateJob(job.id, (s) => ({
        job: null,
        tasks: s.tasks.map((t) => taskWrite(t, { status: 'cancelled' })),
        events: [],
      }));
      expect(again.applied).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('a createJob interrupted after the job row was inserted leaves no job, task or event', async () => {
    const app = appName();
    const store = new PostgresJobStore(db.options({ applicationName: app, max: 2 }));
    const raw = db.raw();
    try {
      const other = makeJob();
      const job = makeJob();
      const clash = makeTask(job, { stage: 'x' });
      await store.createJob({ job: other, tasks: [], events: [] });
      // An uncommitted insert of the same task id makes createJob wait after inserting its job row.
      const blocker = await raw.connect();
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO "${db.schema}".tasks (id, job_id, tenant_id, position, stage, queue, required, status,
           attempt, failures, lost_leases, max_attempts, timeout_ms, backoff, priority, created_at, version)
         VALUES ($1, $2, $3, 0, 'y', 'q', true, 'pending', 1, 0, 0, 1, 1, '{}', 0, now(), 1)`,
        [clash.id, other.id, other.tenantId],
      );
      const pending = store.createJob({ job, tasks: [clash], events: [makeEvent(job)] });
      pending.catch(() => undefined); // may reject before the poll below returns
      await terminateWhenBlocked(raw, app);
      await expectUnavailable(pending, 'createJob');
      await blocker.query('ROLLBACK');
      blocker.release();
      const { rows } = await raw.query(
        `SELECT (SELECT count(*)::int FROM "${db.schema}".jobs WHERE id = $1) AS jobs,
                (SELECT count(*)::int FROM "${db.schema}".tasks WHERE job_id = $1) AS tasks,
                (SELECT count(*)::int FROM "${db.schema}".events WHERE job_id = $1) AS events`,
        [job.id],
      );
      expect(rows[0]).toEqual({ jobs: 0, tasks: 0, events: 0 });
      expect((await store.createJob({ job, tasks: [clash], events: [makeEvent(job)] })).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('idle clients terminated in the pool never crash the process; the next call reconnects', async () => {
    const app = appName();
    const store = new PostgresJobStore(db.options({ applicationName: app, max: 3 }));
    const raw = db.raw();
    try {
      await Promise.all([store.ping(), store.ping(), store.ping()]);
      const { rows } = await raw.query(
        'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) x',
        [app],
      );
      expect(rows[0].n).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 50));
      // A dead idle client may still be handed out once: that call fails cleanly, then all is well.
      await store.ping().catch((e: DalstonError) => expect(e.code).toBe('STORE_UNAVAILABLE'));
      await store.ping();
      const job = makeJob();
      expect((await store.createJob({ job, tasks: [], events: [] })).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('the exclusive pass ends with its connection', async () => {
    const app = appName();
    const holder = new PostgresJobStore(db.options({ applicationName: app, max: 2 }));
    const other = new PostgresJobStore(db.options({ max: 2 }));
    const raw = db.raw();
    try {
      const pass = `pass-${randomUUID()}`;
      let release!: () => void;
      let entered = false;
      const held = holder.exclusive(pass, { ttlMs: 60_000 }, async () => {
        entered = true;
        await new Promise<void>((r) => {
          release = r;
        });
      });
      await pollUntil(() => entered, { what: 'the holder inside exclusive' });
      expect(await other.exclusive(pass, { ttlMs: 1000 }, async () => 1)).toEqual({ ran: false });
      await raw.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND a.application_name = $1`,
        [app],
      );
      // The lock is gone with the connection, long before the TTL.
      await pollUntil(async () => (await other.exclusive(pass, { ttlMs: 1000 }, async () => 2)).ran);
      release();
      await held.catch(() => {});
    } finally {
      await holder.close();
      await other.close();
    }
  });

  it('an unreachable server → STORE_UNAVAILABLE without the connection string or SQL in the message', async () => {
    const url = 'postgres://dalston:s3cr3t-pw@127.0.0.1:1/nowhere';
    const store = new PostgresJobStore({
      connectionString: url,
      schema: 'dalston',
      connectionTimeoutMillis: 2000,
    });
    try {
      const error = await expectUnavailable(store.getJob('t', 'j'), 'getJob');
      const shown = `${error.message} ${JSON.stringify(error)}`;
      expect(shown).not.toMatch(/s3cr3t|127\.0\.0\.1|SELECT|postgres:\/\//);
      await expectUnavailable(store.ping(), 'ping');
    } finally {
      await store.close();
    }
  });

  it('close() ends the pool it created; later calls fail with CLOSED', async () => {
    const store = new PostgresJobStore(db.options());
    await store.ping();
    await store.close();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
