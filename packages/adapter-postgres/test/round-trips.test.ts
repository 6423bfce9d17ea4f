/**
 * How many statements the job writes send (createJob: one; updateJob: the read, then the
 * apply), that they are named statements carrying no value in their text, that a lost
 * compare-and-set writes nothing and is answered as data, that concurrent updates share
 * one apply (group commit) with each job applied or refused on its own, and that values
 * bound as jsonb round-trip exactly.
 */
import { jobWrite, makeEvent, makeJob, makeTask, taskWrite } from '@dalston/core/contract';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('round_trips');

/** A one-connection pool whose client records every query text it is sent. */
function countingPool() {
  const sent: string[] = [];
  const names: (string | undefined)[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
      sent.push(typeof config === 'string' ? config : String((config as { text?: string }).text));
      names.push(typeof config === 'string' ? undefined : (config as { name?: string }).name);
      return query(config, ...rest);
    };
  });
  return { pool, sent, names };
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
  counted.names.length = 0;
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

  it('updateJob sends two named statements: the read, then the apply (its own transaction)', async () => {
    const { job } = await seed();
    // A store that has not written this job yet (another instance, the same pool) reads it first.
    const cold = postgresAdapters({ pool: counted.pool, schema: db.schema }).jobStore;
    const sent = await sentDuring(() =>
      cold.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running' }),
        tasks: [
          taskWrite(s.tasks[0]!, { status: 'running', leaseToken: 'L', leaseExpiresAt: Date.now() + 1000 }),
        ],
        events: [makeEvent(job, { type: 'task.started', taskId: s.tasks[0]!.id })],
      })),
    );
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^SELECT row_to_json/);
    expect(sent[0]).not.toMatch(/FOR UPDATE/);
    expect(sent[1]).toMatch(/dalston_apply\(\$1::jsonb\)$/);
    expect(counted.names.every((n) => n?.startsWith('dalston_'))).toBe(true);
    expect(await backendState()).toBe('active'); // this very query: no transaction left open
    expect((await store.getJob(job.tenantId, job.id))?.status).toBe('running');
  });

  it('updateJob after its own write sends one statement: the apply, on the state it wrote', async () => {
    const { job } = await seed();
    const sent = await sentDuring(() =>
      store.updateJob(job.id, (s) => ({
        job: jobWrite(s.job, { status: 'running' }),
        tasks: [],
        events: [],
      })),
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/dalston_apply/);
    expect((await store.getJob(job.tenantId, job.id))?.status).toBe('running');
  });

  it('no statement text carries a value: two jobs are written with the same named statements', async () => {
    const texts: string[][] = [];
    for (let i = 0; i < 2; i++) {
      const sent = await sentDuring(async () => {
        const { job } = await seed();
        await store.updateJob(job.id, (s) => ({
          job: jobWrite(s.job, { status: 'running' }),
          tasks: [taskWrite(s.tasks[0]!, { status: 'running', leaseToken: job.id, leaseExpiresAt: 1 })],
          events: [],
        }));
        await store.extendLease(`${job.id}_t`, 1, job.id, 2);
        await store.getSnapshot(job.tenantId, job.id);
        for (const text of counted.sent) expect(text).not.toContain(job.id);
      });
      texts.push(sent);
    }
    expect(texts[0]).toHaveLength(4); // createJob, apply (on the state createJob wrote), extendLease, getSnapshot
    expect(texts[1]).toEqual(texts[0]);
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
    expect(sent.map((s) => s.split(/[\s;]/)[0])).toEqual(['SELECT']); // the apply: no error, no rollback
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

  it('values bound as jsonb round-trip exactly (quotes, backslashes, the conflict marker)', async () => {
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

  it('concurrent updates of different jobs share apply statements; a miss on one does not roll back the others', async () => {
    const seeded = await Promise.all(Array.from({ length: 10 }, () => seed()));
    let results: Awaited<ReturnType<typeof store.updateJob>>[] = [];
    const sent = await sentDuring(async () => {
      results = await Promise.all(
        seeded.map(({ job }, i) =>
          store.updateJob(job.id, (s) => {
            const w = taskWrite(s.tasks[0]!, { status: 'running', leaseToken: 'L', leaseExpiresAt: 1 });
            if (i === 3) w.expected = { ...w.expected, attempt: w.expected.attempt + 7 }; // cannot apply
            return { job: jobWrite(s.job, { status: 'running' }), tasks: [w], events: [makeEvent(job)] };
          }),
        ),
      );
    });
    const applies = sent.filter((t) => t.includes('dalston_apply'));
    expect(applies.length).toBeLessThan(10); // one connection: the first goes alone, the rest together
    expect(results.map((r) => r.applied)).toEqual(seeded.map((_, i) => i !== 3));
    expect(results[3]).toEqual({ applied: false, reason: 'conflict' });
    const statuses = await Promise.all(seeded.map(({ job }) => store.getJob(job.tenantId, job.id)));
    expect(statuses.map((j) => j?.status)).toEqual(seeded.map((_, i) => (i === 3 ? 'pending' : 'running')));
  });

  it('a value the database refuses fails only its own job of a batch', async () => {
    const seeded = await Promise.all(Array.from({ length: 6 }, () => seed()));
    const outcomes = await Promise.allSettled(
      seeded.map(({ job }, i) =>
        store.updateJob(job.id, (s) => ({
          job: jobWrite(s.job, { status: 'running' }),
          tasks: [],
          // An event naming another tenant breaks the events -> jobs foreign key.
          events: [makeEvent(job, i === 2 ? { tenantId: 'someone_else' } : {})],
        })),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(seeded.map((_, i) => (i === 2 ? 'rejected' : 'fulfilled')));
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION_FAILED' });
    const jobs = await Promise.all(seeded.map(({ job }) => store.getJob(job.tenantId, job.id)));
    expect(jobs.map((j) => j?.status)).toEqual(seeded.map((_, i) => (i === 2 ? 'pending' : 'running')));
  });

  it('concurrent createJob calls share statements; a duplicate id fails only its own job', async () => {
    const jobs = Array.from({ length: 8 }, () => makeJob());
    const dup = makeJob({ id: jobs[0]!.id }); // the same id as the first: CONFLICT for one of them
    const all = [...jobs, dup];
    let outcomes: PromiseSettledResult<Awaited<ReturnType<typeof store.createJob>>>[] = [];
    const sent = await sentDuring(async () => {
      outcomes = await Promise.allSettled(
        all.map((job) =>
          store.createJob({
            job,
            tasks: [
              makeTask(job, { stage: 'a', status: 'ready' }),
              makeTask(job, { stage: 'b', dependsOn: ['a'] }),
            ],
            events: [makeEvent(job), makeEvent(job, { type: 'task.ready' })],
          }),
        ),
      );
    });
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'CONFLICT' });
    for (const job of jobs.slice(1)) {
      const rows = await q('SELECT id::float8 AS id FROM $s.events WHERE job_id = $1 ORDER BY id', [job.id]);
      const r = outcomes[all.indexOf(job)] as PromiseFulfilledResult<
        Awaited<ReturnType<typeof store.createJob>>
      >;
      expect(r.value.created && r.value.events.map((e) => e.id)).toEqual(rows.map((x) => x.id));
      expect(
        await q('SELECT count(*)::int AS n FROM $s.task_dependencies WHERE job_id = $1', [job.id]),
      ).toEqual([{ n: 1 }]);
    }
    expect(sent.filter((t) => t.includes('jsonb_array_elements')).length).toBeLessThan(all.length + 2);
  });

  it('a concurrent writer between read and apply makes decide run again on the new state', async () => {
    const { job } = await seed();
    let calls = 0;
    const bump = () =>
      store.updateJob(job.id, (s) => {
        calls++;
        return { job: jobWrite(s.job, { version: s.job.version + 1 }), tasks: [], events: [] };
      });
    const [r1, r2] = await Promise.all([bump(), bump()]);
    expect(r1.applied && r2.applied).toBe(true);
    expect(calls).toBe(3); // both read version v; one applied, the other re-read and re-decided
    expect((await store.getJob(job.tenantId, job.id))?.version).toBe(job.version + 2);
  });
});
