/**
 * What the adapter wrote, read back with raw SQL (a second channel), and the pool
 * ownership rule: a host's pool is never ended by the adapter.
 */
import {
  makeApiKey,
  makeEvent,
  makeJob,
  makeSessionRecord,
  makeTask,
  makeTenant,
  taskWrite,
} from '@dalston/core/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('second_channel');
let adapters: ReturnType<typeof postgresAdapters> | null = null;
const pg = () => {
  adapters ??= postgresAdapters({ pool: db.raw(), schema: db.schema });
  return adapters;
};
afterAll(async () => adapters?.close());
const q = async (sql: string, values: unknown[] = []) =>
  (await db.raw().query(sql.replaceAll('$s', `"${db.schema}"`), values)).rows;

describe('postgres: second channel', () => {
  it('createJob and updateJob write the rows, edges and events they report', async () => {
    const job = makeJob({ createdAt: 1_700_000_000_123 });
    const tasks = [
      makeTask(job, { stage: 'a', status: 'ready' }),
      makeTask(job, { stage: 'b', dependsOn: ['a'] }),
    ];
    await pg().jobStore.createJob({ job, tasks, events: [makeEvent(job)] });
    expect(
      await q('SELECT status, version, created_at = $2::timestamptz AS exact FROM $s.jobs WHERE id = $1', [
        job.id,
        '2023-11-14T22:13:20.123Z',
      ]),
    ).toEqual([{ status: 'pending', version: 1, exact: true }]);
    expect(
      await q('SELECT task_id, depends_on FROM $s.task_dependencies WHERE job_id = $1', [job.id]),
    ).toEqual([{ task_id: tasks[1]!.id, depends_on: 'a' }]);
    const result = await pg().jobStore.updateJob(job.id, (s) => ({
      job: {
        expected: { status: 'pending', version: 1 },
        next: { ...s.job, status: 'running', version: 2, startedAt: 5 },
      },
      tasks: [taskWrite(s.tasks[0]!, { status: 'running', leaseToken: 'L', leaseExpiresAt: 99 })],
      events: [makeEvent(job, { type: 'task.started', taskId: tasks[0]!.id })],
    }));
    expect(result.applied).toBe(true);
    expect(
      await q(
        'SELECT status, version, (extract(epoch FROM started_at) * 1000)::int AS started FROM $s.jobs WHERE id = $1',
        [job.id],
      ),
    ).toEqual([{ status: 'running', version: 2, started: 5 }]);
    expect(
      await q('SELECT status, lease_token, version FROM $s.tasks WHERE id = $1', [tasks[0]!.id]),
    ).toEqual([{ status: 'running', lease_token: 'L', version: 2 }]);
    const events = await q('SELECT id::int, type FROM $s.events WHERE job_id = $1 ORDER BY id', [job.id]);
    expect(events.map((e) => e.type)).toEqual(['job.created', 'task.started']);
    if (result.applied) expect(result.events[0]!.id).toBe(events[1]!.id);
    // deleteJob cascades to tasks, edges and events.
    await pg().jobStore.updateJob(job.id, (s) => ({
      job: {
        expected: { status: 'running', version: 2 },
        next: { ...s.job, status: 'cancelled', version: 3 },
      },
      tasks: [],
      events: [],
    }));
    expect(await pg().jobStore.deleteJob(job.tenantId, job.id)).toBe(true);
    expect(
      await q(
        `SELECT (SELECT count(*) FROM $s.tasks WHERE job_id = $1)::int + (SELECT count(*) FROM $s.task_dependencies WHERE job_id = $1)::int
              + (SELECT count(*) FROM $s.events WHERE job_id = $1)::int AS n`,
        [job.id],
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('stores API keys as hash and prefix only, and revocation and last use as times', async () => {
    const key = makeApiKey();
    await pg().apiKeyStore.create(key);
    const columns = await q(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'api_keys'`,
      [db.schema],
    );
    expect(columns.map((c) => c.column_name)).not.toContain('key');
    await pg().apiKeyStore.revoke(key.tenantId, key.id, 1_000);
    await pg().apiKeyStore.revoke(key.tenantId, key.id, 2_000);
    expect(await pg().apiKeyStore.touchLastUsed(key.id, 10_000, 5_000)).toBe(true);
    expect(await pg().apiKeyStore.touchLastUsed(key.id, 12_000, 5_000)).toBe(false);
    expect(
      await q(
        `SELECT hash, prefix, scopes, extract(epoch FROM revoked_at)::int AS r, extract(epoch FROM last_used_at)::int AS u FROM $s.api_keys WHERE id = $1`,
        [key.id],
      ),
    ).toEqual([{ hash: key.hash, prefix: key.prefix, scopes: key.scopes, r: 1, u: 10 }]);
  });

  it('closes a session record once (compare-and-set on status) and keeps tenant limits as jsonb', async () => {
    const record = makeSessionRecord();
    await pg().sessionArchive.open(record);
    const close = {
      status: 'completed' as const,
      endedAt: record.startedAt + 5,
      stats: { words: 3 },
      artifacts: { audio: 's3://b/k' },
      error: null,
    };
    expect((await pg().sessionArchive.closeRecord(record.tenantId, record.id, close))?.status).toBe(
      'completed',
    );
    expect(
      await pg().sessionArchive.closeRecord(record.tenantId, record.id, { ...close, status: 'error' }),
    ).toBeNull();
    expect(
      await q('SELECT status, stats, artifacts FROM $s.session_records WHERE id = $1', [record.id]),
    ).toEqual([{ status: 'completed', stats: { words: 3 }, artifacts: { audio: 's3://b/k' } }]);
    const tenant = makeTenant();
    await pg().tenantStore.create(tenant);
    await pg().tenantStore.updateLimits(tenant.id, { concurrentJobs: 4 });
    expect(await q('SELECT limits FROM $s.tenants WHERE id = $1', [tenant.id])).toEqual([
      { limits: { concurrentJobs: 4 } },
    ]);
  });

  it("never ends the host's pool", async () => {
    const borrowed = postgresAdapters({ pool: db.raw(), schema: db.schema });
    await borrowed.jobStore.ping();
    await borrowed.close();
    await borrowed.jobStore.close();
    expect(await q('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
