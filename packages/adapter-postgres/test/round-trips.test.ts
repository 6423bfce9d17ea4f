/**
 * How many statements the job writes send (createJob: one; updateJob: the locked read, then
 * the write with its COMMIT), that a lost compare-and-set still rolls everything back and
 * leaves no transaction open, and that values inlined as literals round-trip exactly.
 */
import { jobWrite, makeEvent, makeJob, makeTask, taskWrite } from '@dalston/core/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { quoteLiteral } from '../src/job-writes.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('round_trips');

/** A one-connection pool whose client records every query text it is sent. */
function countingPool() {
  const sent: string[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
      sent.push(typeof config === 'string' ? config : String((config as { text?: string }).text));
      return query(config, ...rest);
    };
  });
  return { pool, sent };
}

let counted: ReturnType<typeof countingPool>;
let store: ReturnType<typeof postgresAdapters>['jobStore'];
beforeAll(() => {
  counted = countingPool();
  store = postgresAdapters({ pool: counted.pool, schema: db.schema }).jobStore;
});
afterAll(() => counted?.pool.end());
const q = async (sql: string, values: unknown[] = []) =>
  (await db.raw().query(sql.replaceAll('$s', `"${db.schema}"`), values)).rows;

async function sentDuring(fn: () => Promise<unknown>): Promise<string[]> {
  await counted.pool.query('SELECT 1'); // connected, so the connect listener has run
  counted.sent.length = 0;
  await fn();
  return [...counted.sent];
}

async function seed() {
  const job = makeJob();
  const tasks = [
    makeTask(job, { stage: 'a', status: 'ready' }),
    makeTask(job, { stage: 'b', dependsOn: ['a'] }),
  ];
  await store.createJob({ job, tasks, events: [makeEvent(job)] });
  return { job, tasks };
}

const backendState = async () => {
  const [row] = (
    await counted.pool.query<{ state: string }>(
      'SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    )
  ).rows;
  return row?.state;
};

describe('postgres: statements per job write', () => {
  it('createJob sends one statement that writes the job, tasks, edges and events', async () => {
    const job = makeJob();
    const tasks = [
      makeTask(job, { stage: 'a', status: 'ready' }),
      makeTask(job, { stage: 'b', dependsOn: ['a'] }),
    ];
    const events = [makeEvent(job), makeEvent(job, { type: 'task.ready', taskId: tasks[0]!.id })];
    let result: Awaited<ReturnType<typeof store.createJob>> | undefined;
    const sent = await sentDuring(async () => {
      result = await store.createJob({ job, tasks, events });
    });
    expect(sent).toHaveLength(1);
    expect(result?.created).toBe(true);
    const logged = await q('SELECT id::float8 AS id, type FROM $s.events WHERE job_id = $1 ORDER BY id', [
      job.id,
    ]);
    expect(logged.map((r) => r.type)).toEqual(['job.created', 'task.ready']);
    expect(result?.created && result.events.map((e) => e.id)).toEqual(logged.map((r) => r.id));
    expect(await q('SELECT count(*)::int AS n FROM $s.tasks WHERE job_id = $1', [job.id])).toEqual([
      { n: 2 },
    ]);
    expect(await q('SELECT depends_on FROM $s.task_dependencies WHERE job_id = $1', [job.id])).toEqual([
      { depends_on: 'a' },
    ]);
  });

  it('createJob with a taken idempotency key writes nothing for the new id and returns the existing job', async () => {
    const first = makeJob({ idempotencyKey: `k-${Math.random()}` });
    await store.createJob({
      job: first,
      tasks: [makeTask(first, { stage: 'a' })],
      events: [makeEvent(first)],
    });
    const second = makeJob({ tenantId: first.tenantId, idempotencyKey: first.idempotencyKey });
    const result = await store.createJob({
      job: second,
      tasks: [makeTask(second, { stage: 'a' }), makeTask(second, { stage: 'b', dependsOn: ['a'] })],
      events: [makeEvent(second)],
    });
    expect(result.created).toBe(false);
    expect(result.snapshot.job.id).toBe(first.id);
    expect(result.snapshot.tasks).toHaveLength(1);
    for (const table of ['jobs', 'tasks', 'task_dependencies', 'events']) {
      const col = table === 'jobs' ? 'id' : 'job_id';
      expect(await q(`SELECT count(*)::int AS n FROM $s.${table} WHERE ${col} = $1`, [second.id])).toEqual([
        { n: 0 },
      ]);
    }
  });

  it('updateJob sends two statements: the locked read, then the write ending with COMMIT', async () => {
    const { job } = await seed();
    const sent = await sentDuring(() =>
      store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running' }),
        tasks: [
          taskWrite(s.tasks[0]!, { status: 'running', leaseToken: 'L', leaseExpiresAt: Date.now() + 1000 }),
        ],
        events: [makeEvent(job, { type: 'task.started', taskId: s.tasks[0]!.id })],
      })),
    );
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^BEGIN;/);
    expect(sent[1]).toMatch(/;\nCOMMIT$/);
    expect(await backendState()).toBe('active'); // this very query: no transaction left open
    expect((await store.getJob(job.tenantId, job.id))?.status).toBe('running');
  });

  it('a lost compare-and-set fails the write, rolls back every part of it and closes the transaction', async () => {
    const { job, tasks } = await seed();
    const before = await store.getSnapshot(null, job.id);
    let result: Awaited<ReturnType<typeof store.updateJob>> | undefined;
    const sent = await sentDuring(async () => {
      result = await store.updateJob(job.id, (s) => {
        const stale = taskWrite(s.tasks[1]!, { status: 'ready' });
        stale.expected = { ...stale.expected, attempt: stale.expected.attempt + 7 };
        return {
          job: jobWrite(s.job, { status: 'running' }),
          tasks: [taskWrite(s.tasks[0]!, { status: 'running', leaseToken: 'L', leaseExpiresAt: 1 }), stale],
          events: [makeEvent(job, { type: 'task.started', taskId: tasks[0]!.id })],
        };
      });
    });
    expect(result).toEqual({ applied: false, reason: 'conflict' });
    expect(sent.map((s) => s.split(/[\s;]/)[0])).toEqual(['BEGIN', 'WITH', 'ROLLBACK']);
    expect(await store.getSnapshot(null, job.id)).toEqual(before);
    expect(await q('SELECT count(*)::int AS n FROM $s.events WHERE job_id = $1', [job.id])).toEqual([
      { n: 1 },
    ]);
    expect(await backendState()).toBe('active');
    // The connection is fine for the next update.
    const next = await store.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { status: 'running' }),
      tasks: [],
      events: [],
    }));
    expect(next.applied).toBe(true);
  });

  it('values inlined into the write round-trip exactly (quotes, backslashes, the conflict marker)', async () => {
    const { job } = await seed();
    const nasty = `it's \\ a "test" \\\\' E'x' $$ $1 -- /* dalston: compare-and-set missed ' \n\t ü 😀`;
    const result = await store.updateJob(job.id, (s) => ({
      job: jobWrite(s.job, { status: 'running', correlationId: nasty }),
      tasks: [
        taskWrite(s.tasks[0]!, {
          status: 'running',
          leaseToken: nasty,
          leaseExpiresAt: 1,
          input: { [nasty]: [nasty, 1.5, -0, 1e300, null, true] },
        }),
      ],
      events: [makeEvent(job, { type: 'task.started', payload: { nasty } })],
    }));
    expect(result.applied).toBe(true);
    const snap = await store.getSnapshot(null, job.id);
    expect(snap?.job.correlationId).toBe(nasty);
    expect(snap?.tasks[0]?.leaseToken).toBe(nasty);
    expect(snap?.tasks[0]?.input).toEqual({ [nasty]: [nasty, 1.5, 0, 1e300, null, true] });
    const events = await store.readEvents({ tenantId: job.tenantId, jobId: job.id, limit: 10 });
    expect(events.at(-1)?.payload).toEqual({ nasty });
  });

  it('quoteLiteral writes what pg.escapeLiteral writes', () => {
    const client = new pg.Client();
    for (const s of ['', 'plain', "o'clock", 'back\\slash', "\\'both'\\", "''", '\\\\', 'ü😀\n']) {
      expect(quoteLiteral(s)).toBe(client.escapeLiteral(s));
    }
  });
});
