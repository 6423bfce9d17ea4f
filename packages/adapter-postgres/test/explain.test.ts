/**
 * Index evidence: runs every list/scan operation through a pool that records the SQL the
 * adapter really sends, then EXPLAINs each statement with its parameters. The tables are
 * small, so the planner would often pick a sequential scan on cost alone: the EXPLAIN runs
 * with `SET enable_seqscan = off`, which still yields a Seq Scan when no index fits. Each
 * plan must use the expected index and contain no Seq Scan.
 */
import {
  makeApiKey,
  makeEvent,
  makeJob,
  makeSchedule,
  makeSessionEvent,
  makeSessionRecord,
  makeTask,
  makeTenant,
} from '@dalston/core/contract';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresAdapters, postgresAdapters } from '../src/adapters.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('explain');
const recorded: { text: string; values: unknown[] }[] = [];
let a: PostgresAdapters;
const T0 = Date.UTC(2026, 0, 1);
const tenantId = 'tenant_explain';
let someJobId = '';

function recording(pool: pg.Pool): pg.Pool {
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') {
        // Plain text, or a named (prepared) statement: { name, text, values }.
        return (config: string | { text: string; values?: unknown[] }, values?: unknown[]) => {
          if (typeof config === 'string') recorded.push({ text: config, values: values ?? [] });
          else recorded.push({ text: config.text, values: config.values ?? [] });
          return target.query(config as string, values);
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

beforeAll(async () => {
  a = postgresAdapters({ pool: recording(db.raw()), schema: db.schema });
  const statuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
  for (let i = 0; i < 60; i++) {
    const status = statuses[i % statuses.length]!;
    const terminal = status === 'completed' || status === 'failed' || status === 'cancelled';
    const job = makeJob({
      tenantId: i % 3 === 0 ? tenantId : `tenant_${i % 7}`,
      status,
      createdAt: T0 + i,
      purgeAfter: terminal ? T0 + i * 10 : null,
      idempotencyKey: i % 2 ? `key-${i}` : null,
      type: i % 4 === 0 ? 'export' : 'transcribe',
    });
    const tasks = [
      makeTask(job, { stage: 'a', status: i % 2 ? 'ready' : 'completed' }),
      makeTask(job, {
        stage: 'b',
        status: 'running',
        leaseToken: 't',
        leaseExpiresAt: T0 + i,
        dependsOn: ['a'],
      }),
    ];
    await a.jobStore.createJob({ job, tasks, events: [makeEvent(job, { at: T0 + i })] });
    if (job.tenantId === tenantId) someJobId = job.id;
    await a.tenantStore.create(makeTenant({ id: `t_${i}_${job.id}` }));
    await a.apiKeyStore.create(makeApiKey({ tenantId: job.tenantId }));
    await a.sessionArchive.open(makeSessionRecord({ tenantId: job.tenantId, startedAt: T0 + i }));
  }
  // A tenant with a history of finished, keyed submits: a key lookup must hit one index
  // entry, not scan the tenant's jobs.
  const keyed = Array.from({ length: 200 }, (_, i) =>
    makeJob({ tenantId, status: 'cancelled', createdAt: T0 - 1000 + i, idempotencyKey: `old-${i}` }),
  );
  await Promise.all(keyed.map((job) => a.jobStore.createJob({ job, tasks: [], events: [] })));
  // Realistic proportions: the tenant has a history of its own, other tenants far more.
  const history = (t: string, n: number) =>
    Array.from({ length: n }, (_, i) => makeSessionEvent(t, { at: T0 + i }));
  await a.jobStore.appendEvents(history(tenantId, 200));
  await a.jobStore.appendEvents(history('tenant_noise', 1000));
  // Schedules: 50, a tenth paused; each with a few claimed ticks, the newest still pending.
  for (let i = 0; i < 50; i++) {
    const s = makeSchedule({ id: `sch_${i}`, nextTick: T0 + i * 1000, paused: i % 10 === 0 });
    await a.jobStore.upsertSchedule(s);
    for (let k = 0; k < 4; k++) {
      const tick = T0 - (4 - k) * 1000;
      const claim = { scheduleId: s.id, tick, nextTick: s.nextTick, outcome: 'pending' as const };
      await a.jobStore.claimScheduleTick({ ...claim, reason: null, claimedAt: tick, pruneBefore: 0 });
      if (k < 3) {
        await a.jobStore.settleScheduleTick({
          scheduleId: s.id,
          tick,
          outcome: 'submitted',
          jobId: `job_${k}`,
          reason: null,
        });
      }
    }
  }
  await db.raw().query(`ANALYZE "${db.schema}".schedules, "${db.schema}".schedule_ticks`);
  await db.raw().query(`ANALYZE "${db.schema}".jobs, "${db.schema}".tasks, "${db.schema}".events,
    "${db.schema}".task_dependencies, "${db.schema}".tenants, "${db.schema}".api_keys, "${db.schema}".session_records`);
});
afterAll(async () => a?.close());

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
const walk = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(walk)];

async function plan(run: () => Promise<unknown>) {
  recorded.length = 0;
  await run();
  const last = recorded[recorded.length - 1]!;
  const client = await db.raw().connect();
  try {
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${last.text}`, last.values);
    return walk(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
  } finally {
    await client.query('RESET enable_seqscan');
    client.release();
  }
}

const ops: [string, string, () => Promise<unknown>][] = [
  ['listJobs (tenant)', 'jobs_tenant_created', () => a.jobStore.listJobs({ tenantId, limit: 5 })],
  [
    'listJobs (tenant, status, keyset)',
    'jobs_tenant_status_created',
    () =>
      a.jobStore.listJobs({
        tenantId,
        status: ['completed'],
        limit: 5,
        cursor: Buffer.from(`${T0 + 50}:z`).toString('base64url'),
      }),
  ],
  // No index of its own: the tenant's newest-first walk filters on type (migration 0004).
  [
    'listJobs (tenant, type)',
    'jobs_tenant_created',
    () => a.jobStore.listJobs({ tenantId, type: ['export'], limit: 5 }),
  ],
  ['readEvents (tenant)', 'events_tenant_id', () => a.jobStore.readEvents({ tenantId, after: 3, limit: 10 })],
  [
    'readEvents (job)',
    'events_tenant_job_id',
    () => a.jobStore.readEvents({ tenantId, jobId: someJobId, limit: 10 }),
  ],
  ['unpublishedEvents (outbox in id order)', 'outbox_pkey', () => a.jobStore.unpublishedEvents(T0 + 30, 10)],
  ['unpublishedEvents (the events)', 'events_pkey', () => a.jobStore.unpublishedEvents(T0 + 30, 10)],
  ['markPublished', 'outbox_pkey', () => a.jobStore.markPublished([1, 2, 3])],
  ['findReadyTasks', 'tasks_ready', () => a.jobStore.findReadyTasks(10, 'task_0')],
  [
    'findReadyTasks (changed since a mark)',
    'tasks_ready_changed',
    async () => a.jobStore.findReadyTasks(10, undefined, { changedSince: await a.jobStore.readyMark() }),
  ],
  ['findExpiredLeases', 'tasks_running_lease', () => a.jobStore.findExpiredLeases(T0 + 10, 10)],
  ['nonTerminalJobIds', 'jobs_active_by_tenant', () => a.jobStore.nonTerminalJobIds(tenantId)],
  ['tenantsWithActiveJobs', 'jobs_active_by_tenant', () => a.jobStore.tenantsWithActiveJobs()],
  ['findJobsDueForPurge', 'jobs_due_for_purge', () => a.jobStore.findJobsDueForPurge(T0 + 200, 10)],
  [
    'findJobsDueForPurge (keyset)',
    'jobs_due_for_purge',
    () => a.jobStore.findJobsDueForPurge(T0 + 200, 10, { purgeAfter: T0 + 50, id: 'job_x' }),
  ],
  [
    'deleteExpiredJobRows (purged jobs by finished_at)',
    'jobs_row_retention',
    () => a.jobStore.deleteExpiredJobRows(T0 - 1, 10, { finishedAt: T0 - 50, id: 'job_x' }),
  ],
  [
    'deleteExpiredJobRows (their events)',
    'events_tenant_job_id',
    () => a.jobStore.deleteExpiredJobRows(T0 - 1, 10),
  ],
  [
    'deleteExpiredJobRows (their tasks)',
    'tasks_job_stage',
    () => a.jobStore.deleteExpiredJobRows(T0 - 1, 10),
  ],
  ['getSnapshot (the job)', 'jobs_id_tenant', () => a.jobStore.getSnapshot(null, 'job_x')],
  ['getSnapshot (its tasks)', 'tasks_job_stage', () => a.jobStore.getSnapshot(null, 'job_x')],
  ['getSnapshot (their edges)', 'task_dependencies_pkey', () => a.jobStore.getSnapshot(null, 'job_x')],
  ['updateJob read (jobs of a batch)', 'jobs_id_tenant', () => a.jobStore.updateJob(someJobId, () => null)],
  ['updateJob read (their tasks)', 'tasks_job_stage', () => a.jobStore.updateJob(someJobId, () => null)],
  [
    'getJobByIdempotencyKey',
    'jobs_tenant_idempotency_key',
    () => a.jobStore.getJobByIdempotencyKey(tenantId, 'key-3'),
  ],
  [
    'createJobs read-back (jobs holding taken keys)',
    'jobs_tenant_idempotency_key',
    () =>
      a.jobStore.createJobs([{ job: makeJob({ tenantId, idempotencyKey: 'old-3' }), tasks: [], events: [] }]),
  ],
  [
    'createJobs read-back (their tasks)',
    'tasks_job_stage',
    () =>
      a.jobStore.createJobs([{ job: makeJob({ tenantId, idempotencyKey: 'old-4' }), tasks: [], events: [] }]),
  ],
  ['sessions listActive', 'session_records_active_started', () => a.sessionArchive.listActive(T0 + 20, 10)],
  [
    'sessions listActive (keyset)',
    'session_records_active_started',
    () => a.sessionArchive.listActive(T0 + 50, 10, { startedAt: T0 + 20, id: 'sess_x' }),
  ],
  [
    'sessions listByTenant',
    'session_records_tenant_started',
    () => a.sessionArchive.listByTenant(tenantId, 10),
  ],
  [
    'sessions listByTenant (keyset)',
    'session_records_tenant_started',
    () => a.sessionArchive.listByTenant(tenantId, 10, { startedAt: T0 + 20, id: 'sess_x' }),
  ],
  ['sessions activeIds', 'session_records_active_tenant', () => a.sessionArchive.activeIds(tenantId)],
  ['sessions tenantsWithActive', 'session_records_active_tenant', () => a.sessionArchive.tenantsWithActive()],
  ['apiKeys list', 'api_keys_tenant_created', () => a.apiKeyStore.list(tenantId)],
  ['apiKeys findByPrefix', 'api_keys_prefix_key', () => a.apiKeyStore.findByPrefix('abc')],
  ['tenants list', 'tenants_pkey', () => a.tenantStore.list(10, 't_1')],
  ['dueSchedules', 'schedules_due', () => a.jobStore.dueSchedules(T0 + 5000, 10)],
  ['listSchedules', 'schedules_pkey', () => a.jobStore.listSchedules(10, 'sch_1')],
  ['getSchedule', 'schedules_pkey', () => a.jobStore.getSchedule('sch_3')],
  ['pendingScheduleTicks', 'schedule_ticks_pending', () => a.jobStore.pendingScheduleTicks(10)],
  ['listScheduleTicks', 'schedule_ticks_pkey', () => a.jobStore.listScheduleTicks('sch_3', 10)],
  [
    'claimScheduleTick (ledger prune)',
    'schedule_ticks_pkey',
    () =>
      a.jobStore.claimScheduleTick({
        scheduleId: 'sch_4',
        tick: T0 + 4000,
        nextTick: T0 + 5000,
        outcome: 'pending',
        reason: null,
        claimedAt: T0,
        pruneBefore: T0 - 2000,
      }),
  ],
  [
    'claimScheduleTick (schedule move)',
    'schedules_pkey',
    () =>
      a.jobStore.claimScheduleTick({
        scheduleId: 'sch_5',
        tick: T0 + 5000,
        nextTick: T0 + 6000,
        outcome: 'pending',
        reason: null,
        claimedAt: T0,
        pruneBefore: T0 - 2000,
      }),
  ],
  [
    'settleScheduleTick',
    'schedule_ticks_pkey',
    () =>
      a.jobStore.settleScheduleTick({
        scheduleId: 'sch_6',
        tick: T0 - 1000,
        outcome: 'failed',
        jobId: null,
        reason: 'x',
      }),
  ],
];

describe('postgres: every query uses an index', () => {
  const evidence: string[] = [];
  afterAll(() => console.info(`[explain]\n${evidence.join('\n')}`));
  for (const [name, index, run] of ops) {
    it(`${name} uses ${index}`, async () => {
      const nodes = await plan(run);
      const scans = nodes.filter((n) => n['Node Type'].includes('Scan'));
      evidence.push(
        `${name}: ${scans.map((n) => `${n['Node Type']} using ${n['Index Name'] ?? n['Relation Name']}`).join('; ')}`,
      );
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      expect(nodes.map((n) => n['Index Name'])).toContain(index);
    });
  }
});
