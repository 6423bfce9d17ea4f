/**
 * Hostile input and exact round trips, checked through a second channel (raw SQL).
 * NUL and lone surrogates are refused with VALIDATION_FAILED naming the field (text and
 * jsonb cannot hold NUL; a lone surrogate would be silently replaced); nothing is written.
 * 1 MB strings round-trip in every non-key text field; keys longer than 255 are refused.
 */
import { type DalstonError, TASK_STATUSES } from '@dalston/core/adapter';
import {
  makeApiKey,
  makeEvent,
  makeJob,
  makeSessionRecord,
  makeTask,
  makeTenant,
} from '@dalston/core/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAdapters } from '../src/adapters.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('hostile');
let adapters: ReturnType<typeof postgresAdapters> | null = null;
const pg = () => {
  adapters ??= postgresAdapters({ pool: db.raw(), schema: db.schema });
  return adapters;
};
afterAll(async () => adapters?.close());

const MB = 'é'.repeat(512 * 1024); // 1 MiB of UTF-8
const NUL = 'a\u0000b';
const LONE = 'x\uD800y';

async function rejected(promise: Promise<unknown>): Promise<DalstonError> {
  const e = (await promise.then(
    () => null,
    (err: unknown) => err,
  )) as DalstonError;
  expect(e?.code, String(e)).toBe('VALIDATION_FAILED');
  return e;
}

async function countJobs(tenantId: string): Promise<number> {
  const { rows } = await db
    .raw()
    .query(`SELECT count(*)::int AS n FROM "${db.schema}".jobs WHERE tenant_id = $1`, [tenantId]);
  return rows[0].n;
}

describe('postgres: hostile input', () => {
  const jobCases: [string, (j: ReturnType<typeof makeJob>, bad: string) => unknown][] = [
    ['job.correlationId', (j, bad) => Object.assign(j, { correlationId: bad })],
    ['job.input', (j, bad) => Object.assign(j, { input: bad })],
    ['job.idempotencyKey', (j, bad) => Object.assign(j, { idempotencyKey: bad })],
    ['job.parameters.deep.0', (j, bad) => Object.assign(j, { parameters: { deep: [bad] } })],
    ['job.parameters (a key)', (j, bad) => Object.assign(j, { parameters: { [bad]: 1 } })],
  ];
  for (const bad of [NUL, LONE]) {
    for (const [field, spoil] of jobCases) {
      it(`refuses ${JSON.stringify(bad)} in ${field}, naming it, and writes nothing`, async () => {
        const job = makeJob();
        spoil(job, bad);
        const e = await rejected(
          pg().jobStore.createJob({ job, tasks: [makeTask(job)], events: [makeEvent(job)] }),
        );
        expect(e.field).toBe(field);
        expect(await countJobs(job.tenantId)).toBe(0);
      });
    }
  }

  it('refuses NUL in task, event, tenant, API key and session fields, naming each', async () => {
    const job = makeJob();
    expect(
      (await rejected(pg().jobStore.createJob({ job, tasks: [makeTask(job, { stage: NUL })], events: [] })))
        .field,
    ).toBe('tasks.0.stage');
    expect(
      (
        await rejected(
          pg().jobStore.createJob({ job, tasks: [makeTask(job, { output: { o: NUL } })], events: [] }),
        )
      ).field,
    ).toBe('tasks.0.output.o');
    expect(
      (
        await rejected(
          pg().jobStore.createJob({ job, tasks: [], events: [makeEvent(job, { payload: { p: LONE } })] }),
        )
      ).field,
    ).toBe('events.0.payload.p');
    expect((await rejected(pg().tenantStore.create(makeTenant({ name: NUL })))).field).toBe('tenant.name');
    expect((await rejected(pg().apiKeyStore.create(makeApiKey({ name: LONE })))).field).toBe('record.name');
    expect((await rejected(pg().sessionArchive.open(makeSessionRecord({ error: NUL })))).field).toBe(
      'record.error',
    );
    expect(await countJobs(job.tenantId)).toBe(0);
  });

  it('reads a lookup key with NUL or a lone surrogate as a miss, like the memory store (no driver error)', async () => {
    expect(await pg().jobStore.getJob(NUL, 'j')).toBeNull();
    expect(await pg().jobStore.getJob('t', LONE)).toBeNull();
  });

  it('round-trips 1 MiB strings in every non-key text field, byte for byte (second channel)', async () => {
    const job = makeJob({
      input: MB,
      correlationId: MB,
      parameters: { big: MB },
      error: { code: 'E', message: MB },
    });
    const task = makeTask(job, { queue: MB, output: MB, leaseToken: MB, status: TASK_STATUSES[2] });
    await pg().jobStore.createJob({ job, tasks: [task], events: [makeEvent(job, { payload: { big: MB } })] });
    expect(await pg().jobStore.getSnapshot(null, job.id)).toEqual({ job, tasks: [task] });
    const { rows } = await db.raw().query(
      `SELECT octet_length(input) AS a, octet_length(correlation_id) AS b, octet_length(parameters->>'big') AS c
       FROM "${db.schema}".jobs WHERE id = $1`,
      [job.id],
    );
    expect(rows[0]).toEqual({ a: 1048576, b: 1048576, c: 1048576 });
    const tenant = makeTenant({ name: MB });
    expect(await pg().tenantStore.create(tenant)).toEqual(tenant);
    const record = makeSessionRecord({ workerId: MB, error: MB, stats: { s: MB } });
    expect(await pg().sessionArchive.open(record)).toEqual(record);
  });

  it('refuses keys over 255 characters instead of failing in the index', async () => {
    const job = makeJob({ idempotencyKey: 'k'.repeat(256) });
    expect((await rejected(pg().jobStore.createJob({ job, tasks: [], events: [] }))).field).toBe(
      'job.idempotencyKey',
    );
    expect((await rejected(pg().apiKeyStore.create(makeApiKey({ prefix: MB })))).field).toBe('record.prefix');
  });

  it('stores times as timestamptz exactly to the millisecond, across the accepted range', async () => {
    for (const createdAt of [-62135596800000, 0, 1, 999, 1_700_000_000_123, 253402300799999]) {
      const job = makeJob({ createdAt, finishedAt: createdAt, status: 'completed' });
      await pg().jobStore.createJob({ job, tasks: [], events: [] });
      expect(await pg().jobStore.getJob(job.tenantId, job.id)).toEqual(job);
      const { rows } = await db.raw().query(
        `SELECT (extract(epoch FROM created_at) * 1000)::bigint::text AS ms,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS iso
         FROM "${db.schema}".jobs WHERE id = $1`,
        [job.id],
      );
      expect(rows[0].ms).toBe(String(createdAt));
      expect(`${rows[0].iso}Z`).toBe(new Date(createdAt).toISOString());
    }
    const outOfRange = makeJob({ createdAt: 253402300800000 });
    expect((await rejected(pg().jobStore.createJob({ job: outOfRange, tasks: [], events: [] }))).field).toBe(
      'job.createdAt',
    );
    const fractional = makeJob({ createdAt: 1.5 });
    expect((await rejected(pg().jobStore.createJob({ job: fractional, tasks: [], events: [] }))).field).toBe(
      'job.createdAt',
    );
  });

  it('keeps edges in a table whose foreign keys make a dangling dependency unrepresentable', async () => {
    const job = makeJob();
    const tasks = [makeTask(job, { stage: 'a' }), makeTask(job, { stage: 'b', dependsOn: ['a'] })];
    await pg().jobStore.createJob({ job, tasks, events: [] });
    const { rows } = await db
      .raw()
      .query(`SELECT depends_on FROM "${db.schema}".task_dependencies WHERE job_id = $1`, [job.id]);
    expect(rows).toEqual([{ depends_on: 'a' }]);
    const broken = makeJob();
    const e = await rejected(
      pg().jobStore.createJob({
        job: broken,
        tasks: [makeTask(broken, { dependsOn: ['missing'] })],
        events: [],
      }),
    );
    expect(e.field).toBe('task_dependencies_stage');
    expect(await countJobs(broken.tenantId)).toBe(0);
  });
});
