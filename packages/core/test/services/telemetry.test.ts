/**
 * OpenTelemetry in one process on the memory set: the span set of a job (one trace, the
 * parents right, the attributes), error statuses with the error code, and every metric
 * instrument, read through the SDK's in-memory exporter and an on-demand metric reader.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryAdapters } from '@dalston/adapter-memory';
import {
  TELEMETRY_ATTRIBUTES as A,
  createDalston,
  type Dalston,
  type DalstonConfigInput,
  METRIC_NAMES,
  type Pipeline,
  SPAN_NAMES,
  TaskFailure,
} from '@dalston/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { type MetricPoint, memoryMetrics, memoryTracing } from '../../../../test-support/telemetry.js';
import type { Lease } from '../../src/ports/work-queue.js';
import { AttemptTrace } from '../../src/services/telemetry/attempt-trace.js';
import { Telemetry } from '../../src/services/telemetry/telemetry.js';
import { diamond, until } from './harness.js';

const open: Dalston[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

async function engine(config: DalstonConfigInput = {}, pipeline: Pipeline = diamond) {
  const tracing = memoryTracing();
  const metrics = memoryMetrics();
  const adapters = memoryAdapters();
  const dalston = createDalston({
    adapters,
    pipeline,
    config: { queues: ['audio', 'asr'], ...config },
    telemetry: { tracerProvider: tracing.provider, meterProvider: metrics.provider },
  });
  open.push(dalston);
  (await dalston.tenants.create({ id: 'acme', name: 'Acme', limits: {} }))._unsafeUnwrap();
  return { dalston, adapters, spans: tracing.spans, collect: metrics.collect };
}

const points = (all: MetricPoint[], name: string) => all.filter((p) => p.name === name);

async function finished(dalston: Dalston, jobId: string, status = 'completed') {
  await until(async () => (await dalston.jobs.get('acme', jobId))._unsafeUnwrap().status === status);
}

describe('telemetry: spans', () => {
  it('one trace per job: a submit span, then lease, run and complete spans per task, children of it', async () => {
    const e = await engine();
    const worker = e.dalston.createWorker({
      queues: ['audio', 'asr'],
      concurrency: 2,
      handler: async () => ({}),
    });
    const job = (
      await e.dalston.jobs.submit({ tenantId: 'acme', parameters: {}, correlationId: 'corr-1' })
    )._unsafeUnwrap();
    await finished(e.dalston, job.id);
    await worker.close();

    const spans = e.spans();
    const submit = spans.find((s) => s.name === SPAN_NAMES.submit)!;
    expect(submit.kind).toBe(SpanKind.PRODUCER);
    expect(submit.parentSpanId).toBeNull();
    expect(submit.attributes).toEqual({
      [A.tenantId]: 'acme',
      [A.jobId]: job.id,
      [A.jobType]: 'default',
      [A.correlationId]: 'corr-1',
    });
    expect(job.traceContext).toBe(`00-${submit.traceId}-${submit.spanId}-01`);

    const tasks = spans.filter((s) => s.name !== SPAN_NAMES.submit);
    expect(tasks).toHaveLength(12);
    const stages = ['prepare', 'transcribe', 'diarize', 'merge'];
    for (const name of [SPAN_NAMES.lease, SPAN_NAMES.run, SPAN_NAMES.complete]) {
      expect(
        tasks
          .filter((s) => s.name === name)
          .map((s) => s.attributes[A.stage])
          .sort(),
      ).toEqual([...stages].sort());
    }
    for (const s of tasks) {
      expect(s.traceId).toBe(submit.traceId);
      expect(s.parentSpanId).toBe(submit.spanId);
      expect(s.status.code).toBe(SpanStatusCode.UNSET);
      expect(s.attributes).toMatchObject({
        [A.tenantId]: 'acme',
        [A.jobId]: job.id,
        [A.jobType]: 'default',
        [A.attempt]: 1,
        [A.correlationId]: 'corr-1',
        [A.queue]: s.attributes[A.stage] === 'prepare' || s.attributes[A.stage] === 'merge' ? 'audio' : 'asr',
      });
      expect(String(s.attributes[A.taskId])).toMatch(/^tsk/);
    }
    const lease = tasks.find((s) => s.name === SPAN_NAMES.lease)!;
    expect(lease.attributes[A.messageId]).toBe(`${lease.attributes[A.taskId]}:1`);
    expect(lease.attributes[A.deliveries]).toBe(1);
    const run = tasks.find((s) => s.name === SPAN_NAMES.run)!;
    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.attributes[A.outcome]).toBe('completed');
  });

  it('two jobs are two traces', async () => {
    const e = await engine();
    const worker = e.dalston.createWorker({ queues: ['audio', 'asr'], handler: async () => ({}) });
    const a = (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    const b = (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    await finished(e.dalston, a.id);
    await finished(e.dalston, b.id);
    await worker.close();
    const traceOf = (jobId: string) =>
      new Set(
        e
          .spans()
          .filter((s) => s.attributes[A.jobId] === jobId)
          .map((s) => s.traceId),
      );
    expect(traceOf(a.id).size).toBe(1);
    expect(traceOf(b.id).size).toBe(1);
    expect([...traceOf(a.id)][0]).not.toBe([...traceOf(b.id)][0]);
  });

  it('a failing handler: the run and complete spans have ERROR status with the error code', async () => {
    const e = await engine();
    const worker = e.dalston.createWorker({
      queues: ['audio', 'asr'],
      handler: async (ctx) => {
        if (ctx.task.stage === 'prepare')
          throw new TaskFailure('unreadable', { retryable: false, code: 'BAD_AUDIO' });
        return {};
      },
    });
    const job = (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    await finished(e.dalston, job.id, 'failed');
    await until(() => e.spans().some((s) => s.name === SPAN_NAMES.complete));
    await worker.close();
    for (const name of [SPAN_NAMES.run, SPAN_NAMES.complete]) {
      const span = e.spans().find((s) => s.name === name)!;
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'BAD_AUDIO' });
      expect(span.attributes[A.errorCode]).toBe('BAD_AUDIO');
      expect(span.attributes[A.outcome]).toBe('failed');
    }
    const points = (await e.collect()).filter((p) => p.name === METRIC_NAMES.taskDuration);
    expect(points).toEqual([
      expect.objectContaining({
        attributes: { [A.queue]: 'audio', [A.stage]: 'prepare', [A.outcome]: 'failed' },
        value: 1,
      }),
    ]);
  });

  it('a plain error is HANDLER_ERROR, a timeout TIMEOUT (one run span per attempt)', async () => {
    const once: Pipeline = {
      build: () => [
        {
          stage: 'prepare',
          queue: 'audio',
          maxAttempts: 2,
          timeoutMs: 100,
          backoff: { kind: 'fixed', delayMs: 1 },
        },
      ],
    };
    const e = await engine({}, once);
    const worker = e.dalston.createWorker({
      queues: ['audio'],
      handler: async (ctx) => {
        if (ctx.attempt === 1) throw new Error('boom');
        await sleep(5000, undefined, { signal: ctx.signal }).catch(() => undefined);
        return {};
      },
    });
    const job = (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    await finished(e.dalston, job.id, 'failed');
    await until(() => e.spans().filter((s) => s.name === SPAN_NAMES.complete).length === 2);
    await worker.close();
    const runs = e
      .spans()
      .filter((s) => s.name === SPAN_NAMES.run)
      .sort((a, b) => Number(a.attributes[A.attempt]) - Number(b.attributes[A.attempt]));
    expect(runs.map((s) => [s.attributes[A.attempt], s.attributes[A.outcome], s.status.message])).toEqual([
      [1, 'failed', 'HANDLER_ERROR'],
      [2, 'timeout', 'TIMEOUT'],
    ]);
    expect(new Set(runs.map((s) => s.traceId)).size).toBe(1);
  });

  it('refused submits: the submit span has ERROR status with the code (VALIDATION_FAILED, RATE_LIMITED)', async () => {
    const e = await engine({ limits: { concurrentJobs: 1 } });
    const bad = await e.dalston.jobs.submit({ tenantId: 'acme', parameters: 'x' as never });
    expect(bad._unsafeUnwrapErr().code).toBe('VALIDATION_FAILED');
    (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    const limited = await e.dalston.jobs.submit({ tenantId: 'acme' });
    expect(limited._unsafeUnwrapErr().code).toBe('RATE_LIMITED');
    const submits = e.spans().filter((s) => s.name === SPAN_NAMES.submit);
    expect(submits.map((s) => s.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: 'VALIDATION_FAILED' },
      { code: SpanStatusCode.UNSET },
      { code: SpanStatusCode.ERROR, message: 'RATE_LIMITED' },
    ]);
    expect(submits[2]!.attributes).toMatchObject({ [A.tenantId]: 'acme', [A.errorCode]: 'RATE_LIMITED' });
    expect(points(await e.collect(), METRIC_NAMES.rateLimitDenials)).toEqual([
      expect.objectContaining({ attributes: { [A.rateLimitKind]: 'slots' }, value: 1 }),
    ]);
  });

  it('without an SDK (the global no-op API) jobs run and carry no trace context', async () => {
    const dalston = createDalston({ adapters: memoryAdapters(), pipeline: diamond });
    open.push(dalston);
    (await dalston.tenants.create({ id: 'acme', name: 'Acme', limits: {} }))._unsafeUnwrap();
    const worker = dalston.createWorker({ queues: ['audio', 'asr'], handler: async () => ({}) });
    const job = (await dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    expect(job.traceContext).toBeNull();
    await finished(dalston, job.id);
    await worker.close();
  });
});

describe('telemetry: metrics', () => {
  it('queue depth by state, task durations, maintenance pass durations', async () => {
    const e = await engine();
    const job = (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    const depth = (all: MetricPoint[], queue: string, state: string) =>
      points(all, METRIC_NAMES.queueDepth).find(
        (p) => p.attributes[A.queue] === queue && p.attributes[A.queueState] === state,
      )?.value;
    const before = await e.collect();
    expect(depth(before, 'audio', 'ready')).toBe(1);
    expect(depth(before, 'asr', 'ready')).toBe(0);
    expect(depth(before, 'audio', 'leased')).toBe(0);
    expect(depth(before, 'audio', 'dead')).toBe(0);

    const worker = e.dalston.createWorker({ queues: ['audio', 'asr'], handler: async () => ({}) });
    await finished(e.dalston, job.id);
    await worker.close();
    (await e.dalston.maintenance.reconcile())._unsafeUnwrap();
    const after = await e.collect();
    expect(depth(after, 'audio', 'ready')).toBe(0);
    const durations = points(after, METRIC_NAMES.taskDuration);
    expect(
      durations
        .map((p) => [p.attributes[A.queue], p.attributes[A.stage], p.attributes[A.outcome], p.value])
        .sort(),
    ).toEqual([
      ['asr', 'diarize', 'completed', 1],
      ['asr', 'transcribe', 'completed', 1],
      ['audio', 'merge', 'completed', 1],
      ['audio', 'prepare', 'completed', 1],
    ]);
    expect(durations.every((p) => p.sum! >= 0 && p.sum! < 5)).toBe(true);
    const passes = points(after, METRIC_NAMES.maintenanceDuration).map(
      (p) => p.attributes[A.maintenancePass],
    );
    expect(passes.sort()).toEqual(['dead-letters', 'leases', 'requeue', 'slots']);
  });

  it('dead letters processed by the maintenance are counted by queue', async () => {
    const e = await engine({ maxDeliveries: 1 });
    (await e.dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    const first = await e.adapters.workQueue.lease(['audio'], { leaseMs: 1, waitMs: 0 });
    expect(first).not.toBeNull();
    await sleep(10);
    // Its one delivery spent and its lease expired: the next lease dead-letters it.
    expect(await e.adapters.workQueue.lease(['audio'], { leaseMs: 1, waitMs: 0 })).toBeNull();
    const counts = (await e.dalston.maintenance.reconcile())._unsafeUnwrap();
    expect(counts.deadLettered).toBe(1);
    const all = await e.collect();
    expect(points(all, METRIC_NAMES.deadLetters)).toEqual([
      expect.objectContaining({ attributes: { [A.queue]: 'audio' }, value: 1 }),
    ]);
  });

  it('rate-limit denials of host checks are counted as requests', async () => {
    const e = await engine();
    const policy = { algorithm: 'fixed', limit: 1, windowMs: 60_000 } as const;
    expect((await e.dalston.rateLimits.check(policy, 'k'))._unsafeUnwrap().allowed).toBe(true);
    expect((await e.dalston.rateLimits.check(policy, 'k'))._unsafeUnwrap().allowed).toBe(false);
    expect(points(await e.collect(), METRIC_NAMES.rateLimitDenials)).toEqual([
      expect.objectContaining({ attributes: { [A.rateLimitKind]: 'requests' }, value: 1 }),
    ]);
  });

  it('an attempt that lost its lease counts once, with outcome lease_lost and error status', async () => {
    const tracing = memoryTracing();
    const metrics = memoryMetrics();
    const telemetry = new Telemetry({ tracerProvider: tracing.provider, meterProvider: metrics.provider });
    const message = {
      id: 't1:2',
      queue: 'asr',
      taskId: 't1',
      jobId: 'j1',
      tenantId: 'acme',
      attempt: 2,
      priority: 0,
      notBefore: null,
      maxDeliveries: 10,
    };
    const lease = { message, token: 'tok', deliveries: 1, expiresAt: 0 } as unknown as Lease;
    const trace = new AttemptTrace(telemetry, lease);
    const job = { id: 'j1', tenantId: 'acme', correlationId: 'c', traceContext: null } as never;
    trace.started(job, { id: 't1', stage: 'transcribe', attempt: 2 } as never);
    await trace.run(async () => undefined);
    trace.ran({ kind: 'stopped' }, 'lease_lost');
    await trace.complete(async () => null);
    const all = await metrics.collect();
    expect(points(all, METRIC_NAMES.leaseLost)).toEqual([
      expect.objectContaining({ attributes: { [A.queue]: 'asr', [A.stage]: 'transcribe' }, value: 1 }),
    ]);
    const run = tracing.spans().find((s) => s.name === SPAN_NAMES.run)!;
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'LEASE_LOST' });
    expect(run.attributes[A.outcome]).toBe('lease_lost');
    // No stored trace context: the spans are roots of their own trace, still attributed.
    expect(run.parentSpanId).toBeNull();
    expect(run.attributes[A.attempt]).toBe(2);
  });
});
