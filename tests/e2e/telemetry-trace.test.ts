/**
 * OpenTelemetry across processes on PostgreSQL + Redis + S3: a job submitted in this
 * process (its spans in an in-memory exporter) and run by a worker process (its spans
 * written to a file) forms ONE trace: every task span of the worker is a child of the
 * submit span, joined through the job's trace context stored in PostgreSQL, even after
 * the work queue was wiped and rebuilt by the reconciler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TELEMETRY_ATTRIBUTES as A, createDalston, SPAN_NAMES } from '@dalston/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectTarget, newTarget, realAdapters } from '../../test-support/engine.js';
import { testDatabase } from '../../test-support/postgres.js';
import { testRedisUrl } from '../../test-support/redis.js';
import { type S3Server, startS3Server } from '../../test-support/s3.js';
import { memoryTracing, readSpanFile } from '../../test-support/telemetry.js';
import { diamondPipeline, STAGES, spawnEntry } from '../../test-support/worker-process.js';
import { drain, E2E_CONFIG } from './support/host.js';

let s3: S3Server;
let servers: { databaseUrl: string; redisUrl: string; s3Endpoint: string; s3Bucket: string };
let dir: string;
beforeAll(async () => {
  const [db, redisUrl] = await Promise.all([testDatabase(), testRedisUrl()]);
  s3 = await startS3Server();
  servers = { databaseUrl: db.url, redisUrl, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket };
  dir = mkdtempSync(join(tmpdir(), 'dalston-otel-'));
});
afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('postgres+redis+s3: one trace per job across processes', () => {
  it('submit here, handlers in a worker process after a Redis wipe: one trace, every task span a child of the submit span', {
    timeout: 120_000,
  }, async () => {
    const target = newTarget({ ...servers, label: 'otel' });
    const inspect = inspectTarget(target);
    const real = await realAdapters(target);
    const tracing = memoryTracing();
    const dalston = createDalston({
      adapters: real.adapters,
      pipeline: diamondPipeline,
      config: E2E_CONFIG,
      telemetry: { tracerProvider: tracing.provider },
    });
    const spansFile = join(dir, `${target.schema}.jsonl`);
    const worker = { current: null as ReturnType<typeof spawnEntry> | null };
    try {
      (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
      const job = (
        await dalston.jobs.submit({ tenantId: 'acme', parameters: {}, correlationId: 'req-42' })
      )._unsafeUnwrap();
      const [submit] = tracing.spans().filter((s) => s.name === SPAN_NAMES.submit);
      expect(submit).toBeDefined();
      expect(submit!.attributes).toMatchObject({
        [A.jobId]: job.id,
        [A.tenantId]: 'acme',
        [A.correlationId]: 'req-42',
      });
      // Second channel: the trace context is in the job's row.
      const [row] = await inspect.sql<{ trace_context: string }>(
        `SELECT trace_context FROM ${inspect.t('jobs')} WHERE id = $1`,
        [job.id],
      );
      expect(row!.trace_context).toBe(`00-${submit!.traceId}-${submit!.spanId}-01`);
      expect(job.traceContext).toBe(row!.trace_context);

      // The queue is wiped: the worker process's reconciler rebuilds it from PostgreSQL.
      const redis = new Redis(target.redisUrl);
      const keys = await redis.keys(`{${target.redisPrefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      redis.disconnect();

      worker.current = spawnEntry(
        target,
        { maintenanceMs: 200, env: { DALSTON_E2E_SPANS_FILE: spansFile } },
        'worker',
      );
      await worker.current.ready;
      await drain(inspect, 60_000);
      expect((await inspect.jobs()).map((j) => j.status)).toEqual(['completed']);
      worker.current.kill('SIGTERM');
      await worker.current.exited;

      const remote = readSpanFile(spansFile).filter((s) => s.attributes[A.jobId] === job.id);
      const names: string[] = [SPAN_NAMES.lease, SPAN_NAMES.run, SPAN_NAMES.complete];
      for (const name of names) {
        // Each stage once (more only if a lease was lost on this loaded machine and redelivered).
        const stages = new Set(remote.filter((s) => s.name === name).map((s) => s.attributes[A.stage]));
        expect([...stages].sort(), name).toEqual([...STAGES].sort());
      }
      expect(remote.every((s) => names.includes(s.name))).toBe(true);
      for (const span of remote) {
        expect(span.pid).not.toBe(process.pid);
        expect(span.pid).toBe(worker.current.pid);
        expect(span.traceId).toBe(submit!.traceId);
        expect(span.parentSpanId).toBe(submit!.spanId);
        expect(span.attributes).toMatchObject({
          [A.tenantId]: 'acme',
          [A.correlationId]: 'req-42',
        });
        expect(span.attributes[A.attempt]).toBeGreaterThanOrEqual(1);
        expect(span.attributes[A.taskId]).toEqual(expect.stringMatching(/.+/));
      }
      const runs = remote.filter((s) => s.name === SPAN_NAMES.run);
      expect(runs.every((s) => s.attributes[A.outcome] === 'completed' && s.status.code !== 2)).toBe(true);
      // The parents' runs end before their children's start (same trace, real order).
      const run = (stage: string) => runs.find((s) => s.attributes[A.stage] === stage)!;
      expect(run('prepare').endMs).toBeLessThanOrEqual(run('transcribe').startMs + 1);
      expect(run('diarize').endMs).toBeLessThanOrEqual(run('merge').startMs + 1);
    } finally {
      worker.current?.kill('SIGKILL');
      await dalston.close();
      await real.close();
      await inspect.cleanup();
    }
  });
});
