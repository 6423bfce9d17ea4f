import { guardPortNamed, type Lease, ManualClock, type QueueMessage } from '@dalston/core/adapter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryWorkQueue } from '../src/work-queue.js';
import { WorkQueueModel } from './work-queue-model.js';

const message = (queue: string, taskId: string, extra: Record<string, unknown> = {}) => ({
  id: `${taskId}:1`,
  queue,
  taskId,
  jobId: 'job',
  tenantId: 'tenant',
  attempt: 1,
  priority: 0,
  notBefore: null,
  maxDeliveries: 3,
  ...extra,
});

describe('MemoryWorkQueue (memory specifics)', () => {
  it('leaves nothing behind after ack: no messages, queue records, waiters or clock timers', async () => {
    const clock = new ManualClock();
    const q = new MemoryWorkQueue({ clock });
    const waiting = q.lease(['a'], { leaseMs: 1000, waitMs: 10_000 });
    await q.enqueue([message('a', 't1'), message('a', 't2', { notBefore: clock.now() + 500 })]);
    const first = (await waiting)!;
    expect(await q.ack('a', first.message.id, first.token)).toBe(true);
    const pending = q.lease(['a'], { leaseMs: 1000, waitMs: 10_000 });
    await clock.advance(500);
    const second = (await pending)!;
    expect(second.message.taskId).toBe('t2'); // waited for the delayed one (resolved by the timer)
    expect(await q.ack('a', second.message.id, second.token)).toBe(true);
    expect(q.size()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  }, 2000);

  it("rejects with CLOSED after close, and (behind core's guard) requires the id to be taskId:attempt", async () => {
    const q = guardPortNamed('workQueue', new MemoryWorkQueue({ clock: new ManualClock() }));
    await expect(q.enqueue([{ ...message('a', 't1'), id: 'other' }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'messages[0].id',
    });
    await q.close();
    await expect(q.lease(['a'], { leaseMs: 1, waitMs: 0 })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('MemoryWorkQueue (copies and ackAndLease)', () => {
  it('callers mutating what they passed in or got back do not change the queue', async () => {
    const clock = new ManualClock();
    const q = new MemoryWorkQueue({ clock });
    const input = message('a', 't1', { maxDeliveries: 1 });
    await q.enqueue([input]);
    input.priority = 99;
    input.taskId = 'changed';
    const lease = (await q.lease(['a'], { leaseMs: 100, waitMs: 0 }))!;
    expect(lease.message).toEqual(message('a', 't1', { maxDeliveries: 1 }));
    lease.message.id = 'other:1';
    lease.message.maxDeliveries = 10;
    lease.token = 'forged';
    expect(await q.ack('a', 'other:1', 'forged')).toBe(false);
    await clock.advance(100); // expires; maxDeliveries was 1: dead-lettered on the next lease
    expect(await q.lease(['a'], { leaseMs: 100, waitMs: 0 })).toBeNull();
    const [dead] = await q.deadLetters('a', 10);
    expect(dead).toMatchObject({ id: 't1:1', deliveries: 1, message: { taskId: 't1' } });
    dead!.message!.taskId = 'changed';
    expect((await q.deadLetters('a', 10))[0]!.message!.taskId).toBe('t1');
  });

  it('ackAndLease through a whole queue leaves nothing behind', async () => {
    const clock = new ManualClock();
    const q = new MemoryWorkQueue({ clock });
    await q.enqueue(Array.from({ length: 50 }, (_, i) => message('a', `t${i}`, { priority: i % 3 })));
    const ids: string[] = [];
    let lease = await q.lease(['a'], { leaseMs: 1000, waitMs: 0 });
    while (lease) {
      ids.push(lease.message.id);
      const ref = { queue: 'a', messageId: lease.message.id, token: lease.token };
      const r = await q.ackAndLease(ref, ['a'], { leaseMs: 1000, waitMs: 0 });
      expect(r.acked).toBe(true);
      lease = r.lease;
    }
    const expected = Array.from({ length: 50 }, (_, i) => i).sort((x, y) => (y % 3) - (x % 3) || x - y);
    expect(ids).toEqual(expected.map((i) => `t${i}:1`));
    expect(q.size()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ackAndLease rejects with CLOSED after close, acking nothing', async () => {
    const q = new MemoryWorkQueue({ clock: new ManualClock() });
    await q.enqueue([message('a', 't1')]);
    const lease = (await q.lease(['a'], { leaseMs: 1000, waitMs: 0 }))!;
    await q.close();
    const ref = { queue: 'a', messageId: lease.message.id, token: lease.token };
    await expect(q.ackAndLease(ref, ['a'], { leaseMs: 1, waitMs: 0 })).rejects.toMatchObject({
      code: 'CLOSED',
    });
    // Reads are refused after close too; the queue's own count (one queue record and its
    // one message) shows the message still held.
    await expect(q.stats('a')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(q.size()).toBe(2);
  });

  it("behind core's guard, ackAndLease rejects a malformed ack reference with VALIDATION_FAILED", async () => {
    const q = guardPortNamed('workQueue', new MemoryWorkQueue({ clock: new ManualClock() }));
    const bad = { queue: 'a', messageId: 1 } as unknown as Parameters<MemoryWorkQueue['ackAndLease']>[0];
    await expect(q.ackAndLease!(bad, ['a'], { leaseMs: 1, waitMs: 0 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'done.messageId',
    });
  });
});

type Op =
  | { kind: 'enqueue'; messages: QueueMessage[] }
  | { kind: 'lease'; queues: string[]; leaseMs: number }
  | { kind: 'ack' | 'ackAndLease'; pick: number; forged: boolean; queues: string[] }
  | { kind: 'release'; pick: number; delayMs: number; count: boolean }
  | { kind: 'extend'; pick: number; leaseMs: number }
  | { kind: 'remove'; queue: string; taskId: string }
  | { kind: 'advance'; ms: number };

/** Multiples of 50 ms, so lease expiries, delays and clock steps often land on the same instant. */
const ms = (min: number, max: number) => fc.integer({ min: min / 50, max: max / 50 }).map((n) => n * 50);
const queueName = fc.constantFrom('a', 'b');
const queueList = fc.constantFrom<string[]>(['a'], ['b'], ['a', 'b'], ['b', 'a']);
const taskId = fc.constantFrom('t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7');
/** notBefore is relative here (ms from the test's start); made absolute when the op runs. */
const messageArb = fc
  .record({
    queue: queueName,
    taskId,
    attempt: fc.integer({ min: 1, max: 2 }),
    priority: fc.integer({ min: -1, max: 2 }),
    notBefore: fc.option(ms(0, 300), { freq: 2 }), // null (leasable now) half the time
    maxDeliveries: fc.integer({ min: 1, max: 3 }),
  })
  .map((m) => ({ ...m, id: `${m.taskId}:${m.attempt}`, jobId: 'job', tenantId: 'tenant' }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('enqueue' as const),
      messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('lease' as const), queues: queueList, leaseMs: ms(50, 300) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('ack' as const, 'ackAndLease' as const),
      pick: fc.nat(),
      forged: fc.boolean(),
      queues: queueList,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('release' as const),
      pick: fc.nat(),
      delayMs: ms(0, 200),
      count: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('extend' as const), pick: fc.nat(), leaseMs: ms(50, 300) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), queue: queueName, taskId }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: ms(0, 200) }) },
);

describe('MemoryWorkQueue (model-based)', () => {
  it('random operations give the same results as a naive reference model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 60 }), async (ops) => {
        const clock = new ManualClock();
        const start = clock.now();
        const q = new MemoryWorkQueue({ clock });
        const model = new WorkQueueModel();
        const leases: Lease[] = [];
        const leaseBoth = async (got: Lease | null, queues: string[], leaseMs: number) => {
          const expected = model.lease(queues, leaseMs, clock.now());
          if (expected) expected.token = got?.token ?? 'missing';
          expect(
            got && { message: got.message, deliveries: got.deliveries, expiresAt: got.expiresAt },
          ).toEqual(
            expected && {
              message: expected.message,
              deliveries: expected.deliveries,
              expiresAt: expected.expiresAt,
            },
          );
          if (got) leases.push(got);
        };
        for (const op of ops) {
          const now = clock.now();
          // Mostly one of the last leases (likely still held), sometimes any earlier one (stale).
          const pick = 'pick' in op ? (op.pick % 4 < 3 ? leases.length - 1 - (op.pick % 2) : op.pick) : -1;
          const held = leases.length > 0 && pick >= 0 ? leases.at(pick % leases.length) : null;
          const ref = held && {
            queue: held.message.queue,
            messageId: held.message.id,
            token: 'forged' in op && op.forged ? 'forged' : held.token,
          };
          if (op.kind === 'enqueue') {
            const batch = op.messages.map((m) => ({
              ...m,
              notBefore: m.notBefore === null ? null : start + m.notBefore,
            }));
            expect(await q.enqueue(batch)).toBe(model.enqueue(batch, now));
          } else if (op.kind === 'lease') {
            await leaseBoth(
              await q.lease(op.queues, { leaseMs: op.leaseMs, waitMs: 0 }),
              op.queues,
              op.leaseMs,
            );
          } else if (op.kind === 'ack' && ref) {
            expect(await q.ack(ref.queue, ref.messageId, ref.token)).toBe(
              model.ack(ref.queue, ref.messageId, ref.token),
            );
          } else if (op.kind === 'ackAndLease' && ref) {
            const r = await q.ackAndLease(ref, op.queues, { leaseMs: 100, waitMs: 0 });
            expect(r.acked).toBe(model.ack(ref.queue, ref.messageId, ref.token));
            await leaseBoth(r.lease, op.queues, 100);
          } else if (op.kind === 'release' && ref) {
            const options = { delayMs: op.delayMs, countDelivery: op.count };
            expect(await q.release(ref.queue, ref.messageId, ref.token, options)).toBe(
              model.release(ref.queue, ref.messageId, ref.token, op.delayMs, op.count, now),
            );
          } else if (op.kind === 'extend' && ref) {
            expect(await q.extend(ref.queue, ref.messageId, ref.token, op.leaseMs)).toBe(
              model.extend(ref.queue, ref.messageId, ref.token, op.leaseMs, now),
            );
          } else if (op.kind === 'remove') {
            const id = `${op.taskId}:1`;
            expect(await q.remove(op.queue, id)).toBe(model.remove(op.queue, id));
          } else if (op.kind === 'advance') {
            await clock.advance(op.ms);
          }
          for (const name of ['a', 'b']) expect(await q.stats(name)).toEqual(model.stats(name, clock.now()));
        }
        for (const name of ['a', 'b']) {
          expect(await q.deadLetters(name, 1000)).toEqual(model.dead.filter((d) => d.queue === name));
        }
        await q.close();
      }),
      { numRuns: 300 },
    );
  });
});
