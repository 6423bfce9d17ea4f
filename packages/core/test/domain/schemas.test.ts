import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/domain/api-key.js';
import {
  apiKeyRecordSchema,
  dalstonEventSchema,
  isJsonValue,
  jobSchema,
  jsonValueSchema,
  liveSessionSchema,
  queueMessageSchema,
  rateLimitPolicySchema,
  sessionRecordSchema,
  taskSchema,
  taskSpecSchema,
  tenantSchema,
} from '../../src/domain/schemas.js';
import { newSnapshot, startStage } from './harness.js';

describe('schemas', () => {
  it('parse what core builds (round trip through JSON)', () => {
    const s = startStage(newSnapshot([{ stage: 'a', queue: 'q', input: { x: [1, 'y'] } }]), 'a').snapshot;
    const back = <T>(v: T) => JSON.parse(JSON.stringify(v));
    expect(jobSchema.parse(back(s.job))).toEqual(s.job);
    expect(taskSchema.parse(back(s.tasks[0]))).toEqual(s.tasks[0]);
  });

  it('refuse corrupt values', () => {
    const s = newSnapshot([{ stage: 'a', queue: 'q' }]);
    expect(jobSchema.safeParse({ ...s.job, status: 'weird' }).success).toBe(false);
    expect(jobSchema.safeParse({ ...s.job, version: 0 }).success).toBe(false);
    expect(taskSchema.safeParse({ ...s.tasks[0], backoff: { kind: 'linear' } }).success).toBe(false);
    expect(taskSchema.safeParse({ ...s.tasks[0], attempt: '1' }).success).toBe(false);
  });

  it('queue messages', () => {
    const m = {
      id: 'tsk_1:1',
      queue: 'q',
      taskId: 'tsk_1',
      jobId: 'job_1',
      tenantId: 't',
      attempt: 1,
      priority: 0,
      notBefore: null,
      maxDeliveries: 5,
    };
    expect(queueMessageSchema.parse(m)).toEqual(m);
    expect(queueMessageSchema.safeParse({ ...m, attempt: 0 }).success).toBe(false);
    expect(queueMessageSchema.safeParse({ ...m, taskId: undefined }).success).toBe(false);
    expect(queueMessageSchema.safeParse('garbage').success).toBe(false);
  });

  it('events, sessions, keys, tenants, policies', () => {
    const ev = {
      id: 3,
      type: 'task.ready',
      tenantId: 't',
      jobId: 'j',
      taskId: 'k',
      sessionId: null,
      payload: { stage: 'a', attempt: 1 },
      correlationId: 'c',
      at: 1,
    };
    expect(dalstonEventSchema.parse(ev)).toEqual(ev);
    expect(dalstonEventSchema.safeParse({ ...ev, type: 'nope' }).success).toBe(false);
    const live = {
      id: 's',
      tenantId: 't',
      status: 'active',
      workerId: null,
      fields: { a: 1 },
      version: 1,
      createdAt: 1,
      updatedAt: 1,
      expiresAt: 2,
    };
    expect(liveSessionSchema.parse(live)).toEqual(live);
    const rec = {
      id: 's',
      tenantId: 't',
      status: 'completed',
      workerId: 'w',
      startedAt: 1,
      endedAt: 2,
      stats: {},
      artifacts: { audio: 'mem://x' },
      error: null,
    };
    expect(sessionRecordSchema.parse(rec)).toEqual(rec);
    const key = {
      id: 'k',
      tenantId: 't',
      name: 'n',
      prefix: 'abcdefgh',
      hash: hashApiKey('x'),
      scopes: ['admin'],
      createdAt: 1,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    };
    expect(apiKeyRecordSchema.parse(key)).toEqual(key);
    expect(apiKeyRecordSchema.safeParse({ ...key, scopes: ['root'] }).success).toBe(false);
    const tenant = {
      id: 't',
      name: 'T',
      limits: { requests: { algorithm: 'gcra', limit: 10, windowMs: 1000, burst: 5 }, concurrentJobs: 2 },
      disabled: false,
      createdAt: 1,
    };
    expect(tenantSchema.parse(tenant)).toEqual(tenant);
    expect(rateLimitPolicySchema.safeParse({ algorithm: 'fixed', limit: 0, windowMs: 1 }).success).toBe(
      false,
    );
  });

  it('json values: finite, plain, bounded depth', () => {
    expect(jsonValueSchema.safeParse({ a: [1, null, 'x', { b: true }] }).success).toBe(true);
    expect(jsonValueSchema.safeParse({ a: Number.POSITIVE_INFINITY }).success).toBe(false);
    expect(jsonValueSchema.safeParse(new Date()).success).toBe(false);
    expect(jsonValueSchema.safeParse(undefined).success).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(isJsonValue(cyclic)).toBe(false);
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(isJsonValue(deep)).toBe(false);
  });

  it('task specs are strict', () => {
    expect(taskSpecSchema.safeParse({ stage: 'a', queue: 'q' }).success).toBe(true);
    expect(taskSpecSchema.safeParse({ stage: 'a', queue: 'q', extra: 1 }).success).toBe(false);
  });
});
