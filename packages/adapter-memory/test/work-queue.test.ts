import { ManualClock } from '@dalston/core';
import { describe, expect, it } from 'vitest';
import { MemoryWorkQueue } from '../src/work-queue.js';

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

  it('rejects with CLOSED after close, and requires the id to be taskId:attempt', async () => {
    const q = new MemoryWorkQueue({ clock: new ManualClock() });
    await expect(q.enqueue([{ ...message('a', 't1'), id: 'other' }])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'messages[0].id',
    });
    await q.close();
    await expect(q.lease(['a'], { leaseMs: 1, waitMs: 0 })).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
