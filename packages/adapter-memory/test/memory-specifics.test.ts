/** Behaviour only the memory adapters have (options, test helpers); the rest is in the contract suites. */
import { ManualClock } from '@dalston/core/adapter';
import { describe, expect, it, vi } from 'vitest';
import { MemoryArtifactStore } from '../src/artifact-store.js';
import { MemoryEventBus } from '../src/event-bus.js';
import { MemorySessionStore } from '../src/session-store.js';

const KEY = 'tenants/t1/jobs/j1/output/result.json';

describe('MemoryArtifactStore options', () => {
  it('puts bucket and prefix in URIs and refuses URIs outside them', async () => {
    const store = new MemoryArtifactStore({ bucket: 'media', prefix: 'dev/' });
    expect(store.uriFor(KEY)).toBe(`memory://media/dev/${KEY}`);
    expect(store.keyFromUri(`memory://media/dev/${KEY}`)).toBe(KEY);
    expect(() => store.keyFromUri(`memory://media/prod/${KEY}`)).toThrow(/prefix/);
    expect(() => store.keyFromUri(`memory://dalston/dev/${KEY}`)).toThrow(/bucket/);
    expect(() => new MemoryArtifactStore({ prefix: 'no-slash' })).toThrow(/prefix/);
  });

  it('etag is the md5 hex of the bytes; presign explains itself', async () => {
    const store = new MemoryArtifactStore({ clock: new ManualClock() });
    const put = await store.put(KEY, 'hello');
    expect(put.etag).toBe('5d41402abc4b2a76b9719d911017c592');
    await expect(store.presignGet(KEY, 60)).rejects.toThrow(/memory artifact store has no presigned URLs/);
    expect(store.size()).toBe(1);
    expect(await store.deletePrefix('tenants/')).toBe(1);
    expect(store.size()).toBe(0);
  });
});

describe('MemoryEventBus', () => {
  it('catches async handler rejections and reports handler errors to the logger', async () => {
    const warn = vi.fn();
    const logger = { debug() {}, info() {}, warn, error() {}, child: () => logger };
    const bus = new MemoryEventBus({ logger });
    await bus.subscribe({ tenantId: 't1' }, async () => {
      throw new Error('async failure');
    });
    const event = {
      id: 1,
      type: 'job.created' as const,
      tenantId: 't1',
      jobId: 'j1',
      taskId: null,
      sessionId: null,
      payload: {},
      correlationId: null,
      at: 0,
    };
    await bus.publish([event]);
    await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1));
    await bus.close();
    expect(bus.size()).toBe(0);
  });
});

describe('MemorySessionStore', () => {
  it('drops expired sessions from memory', async () => {
    const clock = new ManualClock();
    const store = new MemorySessionStore({ clock });
    const now = clock.now();
    const session = {
      id: 's1',
      tenantId: 't1',
      status: 'active' as const,
      workerId: null,
      fields: {},
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: now,
    };
    await store.create(session, 100);
    await clock.advance(100);
    expect(await store.list('t1', 10)).toEqual({ sessions: [], nextCursor: null });
    expect(store.size()).toBe(0);
    // The id is free again; created with createdAt + ttl already past, it is born expired.
    expect(await store.create(session, 100)).toBe(true);
    expect(await store.get('t1', 's1')).toBeNull();
  });
});
