/**
 * The port guard itself (port-guard/): what reaches an adapter, how failures are reported,
 * callbacks, wrapping once, and the fast queue-message check agreeing with its zod schema.
 * The per-method rules are exercised by the contract suites (every adapter set).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DalstonError } from '../../src/domain/errors.js';
import type { QueueMessage } from '../../src/domain/queue-message.js';
import { queueMessageSchema } from '../../src/domain/schemas.js';
import {
  guardAdapters,
  guardPort,
  guardPortNamed,
  isGuarded,
  PORT_RULES,
} from '../../src/port-guard/index.js';
import { isWellFormedMessage } from '../../src/port-guard/rules/work-queue.js';
import type { JobStore } from '../../src/ports/job-store.js';
import type { WorkQueue } from '../../src/ports/work-queue.js';

/** A fake work queue recording calls; `fail` makes every call reject with it. */
function fakeQueue(fail?: unknown) {
  const calls: string[] = [];
  const port = {
    capabilities: { blockingLease: false, ackAndLease: false },
    async enqueue(messages: QueueMessage[]) {
      calls.push('enqueue');
      if (fail !== undefined) throw fail;
      return messages.length;
    },
    async stats() {
      calls.push('stats');
      return { ready: 0, delayed: 0, leased: 0, dead: 0 };
    },
    async deadLetters() {
      calls.push('deadLetters');
      return [];
    },
  };
  return { calls, port: port as unknown as WorkQueue };
}

const message = (over: Partial<QueueMessage> = {}): QueueMessage => ({
  id: 't1:1',
  queue: 'q',
  taskId: 't1',
  jobId: 'j1',
  tenantId: 'tn',
  attempt: 1,
  priority: 0,
  notBefore: null,
  maxDeliveries: 3,
  ...over,
});

describe('guardPort', () => {
  it('refuses a bad argument with VALIDATION_FAILED naming store, operation and field, without calling the adapter', async () => {
    const { calls, port } = fakeQueue();
    const q = guardPortNamed('workQueue', port);
    await expect(q.enqueue([message(), message({ id: 't1:2' })])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      store: 'workQueue',
      operation: 'enqueue',
      field: 'messages[1].id',
    });
    await expect(q.deadLetters('q', 1001)).rejects.toMatchObject({ field: 'limit' });
    expect(calls).toEqual([]);
    expect(await q.enqueue([message()])).toBe(1);
    expect(calls).toEqual(['enqueue']);
  });

  it('wraps what is not a DalstonError as STORE_UNAVAILABLE with store and operation, keeping the cause', async () => {
    const boom = new Error('ECONNRESET at 10.0.0.1 password=secret');
    const q = guardPortNamed('workQueue', fakeQueue(boom).port);
    const error = await q.enqueue([message()]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'workQueue', operation: 'enqueue' });
    expect((error as DalstonError).cause).toBe(boom);
    expect((error as DalstonError).message).not.toContain('secret');
    const thrownNull = guardPortNamed('workQueue', fakeQueue(null).port);
    await expect(thrownNull.enqueue([message()])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('passes a DalstonError from the adapter through unchanged', async () => {
    const closed = new DalstonError('CLOSED', 'workQueue.enqueue: closed', {
      store: 'workQueue',
      operation: 'enqueue',
    });
    const q = guardPortNamed('workQueue', fakeQueue(closed).port);
    await expect(q.enqueue([message()])).rejects.toBe(closed);
  });

  it('hands back what a caller callback throws, unchanged, and still wraps store failures around it', async () => {
    const mine = new Error('the pass failed');
    const store = {
      async exclusive(_n: string, _o: unknown, fn: () => Promise<unknown>) {
        return { ran: true, value: await fn() };
      },
      async updateJob(_id: string, decide: () => unknown) {
        decide();
        throw new Error('socket closed');
      },
    } as unknown as JobStore;
    const s = guardPortNamed('jobStore', store);
    await expect(
      s.exclusive('pass', { ttlMs: 10 }, async () => {
        throw mine;
      }),
    ).rejects.toBe(mine);
    await expect(s.updateJob('j', () => null)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      operation: 'updateJob',
    });
  });

  it('wraps once, passes other properties through, and keeps optional methods absent', () => {
    const { port } = fakeQueue();
    const q = guardPortNamed('workQueue', port);
    expect(isGuarded(q)).toBe(true);
    expect(isGuarded(port)).toBe(false);
    expect(guardPortNamed('workQueue', q)).toBe(q);
    expect(q.capabilities).toBe(port.capabilities);
    expect(q.ackAndLease).toBeUndefined();
    expect(q.enqueue).toBe(q.enqueue); // one wrapper per method, not one per access
  });

  it('turns a sync method failure into a thrown error (uriFor, keyFromUri)', () => {
    const port = {
      uriFor: (key: string) => `x://${key}`,
      keyFromUri: (_uri: string) => {
        throw new Error('bad');
      },
    };
    const g = guardPort('artifactStore', port, {
      uriFor: PORT_RULES.artifactStore.uriFor,
      keyFromUri: PORT_RULES.artifactStore.keyFromUri,
    });
    expect(() => g.uriFor('raw')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field: 'key' }),
    );
    expect(() => g.keyFromUri('x')).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
  });

  it('guardAdapters wraps each port of a set and leaves the clock', () => {
    const clock = { now: () => 0 };
    const set = Object.fromEntries(Object.keys(PORT_RULES).map((n) => [n, {}])) as never;
    const guarded = guardAdapters({ ...(set as object), clock } as never);
    for (const name of Object.keys(PORT_RULES)) expect(isGuarded((guarded as never)[name])).toBe(true);
    expect((guarded as { clock: unknown }).clock).toBe(clock);
  });
});

describe('the fast queue-message check', () => {
  const field = fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 3 }),
    fc.constant('x'.repeat(201)),
    fc.integer(),
  );
  const num = fc.oneof(
    fc.integer({ min: -2, max: 3 }),
    fc.double(),
    fc.constant(Number.NaN),
    fc.constant(null),
  );
  it('accepts exactly what queueMessageSchema accepts', () => {
    fc.assert(
      fc.property(
        field,
        field,
        num,
        num,
        num,
        num,
        fc.boolean(),
        (queue, taskId, attempt, priority, notBefore, max, idOk) => {
          const m = {
            ...message(),
            queue,
            taskId,
            attempt,
            priority,
            notBefore,
            maxDeliveries: max,
            id: idOk ? `${taskId}:${attempt}` : 'other',
          } as unknown as QueueMessage;
          expect(isWellFormedMessage(m)).toBe(queueMessageSchema.safeParse(m).success);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
