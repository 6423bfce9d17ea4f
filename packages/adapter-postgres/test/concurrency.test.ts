/**
 * Concurrency on a real server, with core's own `buildJob`/`decide`:
 * 50 sibling completions of one job racing through updateJob, and 20 submits with one
 * idempotency key from 20 separate store instances (separate pools).
 */
import { randomUUID } from 'node:crypto';
import { buildJob, type DecideContext, decide, type Occurrence, timeOrderedIds } from '@dalston/core/adapter';
import { describe, expect, it } from 'vitest';
import { PostgresJobStore } from '../src/job-store.js';
import { useFileDatabase } from './helpers.js';

const db = useFileDatabase('concurrency');
const ids = timeOrderedIds();
const ctx = (): DecideContext => ({ now: Date.now(), random: () => 0.5, maxLostLeases: 3 });

function fanIn(tenantId: string, width: number, idempotencyKey: string | null = null) {
  const specs = [
    ...Array.from({ length: width }, (_, i) => ({ stage: `part-${i}`, queue: 'q' })),
    { stage: 'merge', queue: 'q', dependsOn: Array.from({ length: width }, (_, i) => `part-${i}`) },
  ];
  return buildJob(
    {
      id: ids.next('job'),
      tenantId,
      parameters: {},
      input: null,
      idempotencyKey,
      retentionDays: 1,
      correlationId: randomUUID(),
      createdByKeyId: null,
      traceContext: null,
      now: Date.now(),
    },
    specs,
    (kind) => ids.next(kind),
  );
}

async function apply(store: PostgresJobStore, jobId: string, occurrence: Occurrence) {
  return store.updateJob(jobId, (s) => decide(s, occurrence, ctx()).change);
}

describe('postgres: concurrency', () => {
  it('50 concurrent sibling completions advance the DAG once and complete the job once', async () => {
    const store = new PostgresJobStore(db.options({ max: 20 }));
    try {
      const built = fanIn(`tenant_${randomUUID()}`, 50);
      await store.createJob(built);
      const jobId = built.job.id;
      const parts = built.tasks.filter((t) => t.stage !== 'merge');
      // Start every part (concurrently as well), each with its own lease token.
      const started = await Promise.all(
        parts.map((t) =>
          apply(store, jobId, {
            kind: 'start',
            taskId: t.id,
            leaseToken: `lease-${t.id}`,
            leaseExpiresAt: Date.now() + 60_000,
          }),
        ),
      );
      expect(started.every((r) => r.applied)).toBe(true);
      const t0 = performance.now();
      const completed = await Promise.all(
        parts.map((t) =>
          apply(store, jobId, {
            kind: 'complete',
            taskId: t.id,
            attempt: 1,
            leaseToken: `lease-${t.id}`,
            output: { part: t.stage },
          }),
        ),
      );
      const elapsed = performance.now() - t0;
      expect(completed.every((r) => r.applied)).toBe(true);
      let snapshot = (await store.getSnapshot(null, jobId))!;
      const merge = snapshot.tasks.find((t) => t.stage === 'merge')!;
      expect(merge.status).toBe('ready');
      expect(snapshot.tasks.filter((t) => t.status === 'completed')).toHaveLength(50);
      // Finish the merge; a duplicate completion is absorbed.
      await apply(store, jobId, {
        kind: 'start',
        taskId: merge.id,
        leaseToken: 'm',
        leaseExpiresAt: Date.now() + 60_000,
      });
      const done = { kind: 'complete', taskId: merge.id, attempt: 1, leaseToken: 'm', output: null } as const;
      const [first, duplicate] = await Promise.all([apply(store, jobId, done), apply(store, jobId, done)]);
      expect([first.applied, duplicate.applied].filter(Boolean)).toHaveLength(1);
      snapshot = (await store.getSnapshot(null, jobId))!;
      expect(snapshot.job.status).toBe('completed');
      const events = await store.readEvents({ tenantId: built.job.tenantId, jobId, limit: 1000 });
      expect(events.filter((e) => e.type === 'job.completed')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'task.ready' && e.taskId === merge.id)).toHaveLength(1);
      expect(events.filter((e) => e.type === 'task.completed')).toHaveLength(51);
      // Second channel: ids strictly increase in commit order for the job.
      const { rows } = await db
        .raw()
        .query(`SELECT count(*)::int AS n FROM "${db.schema}".events WHERE job_id = $1`, [jobId]);
      expect(rows[0].n).toBe(events.length);
      console.info(`[figures] 50 concurrent sibling completions on one job: ${elapsed.toFixed(0)} ms`);
    } finally {
      await store.close();
    }
  });

  it('20 concurrent submits with one idempotency key from 20 store instances create one job', async () => {
    const stores = Array.from({ length: 20 }, () => new PostgresJobStore(db.options({ max: 2 })));
    try {
      const tenantId = `tenant_${randomUUID()}`;
      const results = await Promise.all(stores.map((s) => s.createJob(fanIn(tenantId, 3, 'same-upload'))));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const winner = results.find((r) => r.created)!.snapshot;
      for (const r of results) expect(r.snapshot).toEqual(winner);
      const { rows } = await db.raw().query(
        `SELECT (SELECT count(*)::int FROM "${db.schema}".jobs WHERE tenant_id = $1) AS jobs,
                  (SELECT count(*)::int FROM "${db.schema}".tasks WHERE tenant_id = $1) AS tasks,
                  (SELECT count(*)::int FROM "${db.schema}".events WHERE tenant_id = $1) AS events`,
        [tenantId],
      );
      expect(rows[0]).toEqual({ jobs: 1, tasks: 4, events: 4 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
