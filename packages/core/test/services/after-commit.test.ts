/**
 * After a transition commits, its enqueue, publish and slot release are issued together
 * (the publish coalesced with those of concurrent transitions) and awaited together: one
 * round-trip wait instead of three, and a slow step does not delay the others.
 */
import { describe, expect, it } from 'vitest';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';
import { harness, until } from './harness.js';

const chain = {
  build: () => [
    { stage: 'a', queue: 'q' },
    { stage: 'b', queue: 'q', dependsOn: ['a'] },
  ],
};

/** A promise the test opens by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { opened, open };
}

interface Hooks {
  log: string[];
  /** Called before the real method; may return a promise to wait for (a gate) or throw. */
  enqueue?: (call: number) => Promise<void> | undefined;
  publish?: (types: string[]) => Promise<void> | undefined;
}

function observed(hooks: Hooks) {
  let enqueues = 0;
  return (a: DalstonAdapters): DalstonAdapters => ({
    ...a,
    workQueue: Object.assign(Object.create(a.workQueue), {
      enqueue: async (...args: Parameters<DalstonAdapters['workQueue']['enqueue']>) => {
        const call = ++enqueues;
        hooks.log.push(`enqueue#${call}`);
        await hooks.enqueue?.(call);
        return a.workQueue.enqueue(...args);
      },
    }),
    eventBus: Object.assign(Object.create(a.eventBus), {
      publish: async (...args: Parameters<DalstonAdapters['eventBus']['publish']>) => {
        const types = args[0].map((e) => e.type);
        hooks.log.push(`publish:${types.join(',')}`);
        await hooks.publish?.(types);
        return a.eventBus.publish(...args);
      },
    }),
    rateLimitStore: Object.assign(Object.create(a.rateLimitStore), {
      releaseSlot: (...args: Parameters<DalstonAdapters['rateLimitStore']['releaseSlot']>) => {
        hooks.log.push('releaseSlot');
        return a.rateLimitStore.releaseSlot(...args);
      },
    }),
  });
}

const status = async (h: Awaited<ReturnType<typeof harness>>, jobId: string) =>
  (await h.dalston.jobs.get(h.tenantId, jobId))._unsafeUnwrap().status;

describe('after commit: enqueue, publish and slot release together', () => {
  it('publishes the completion of a while the enqueue of b is still in flight', async () => {
    const slow = gate();
    const hooks: Hooks = { log: [], enqueue: (call) => (call === 2 ? slow.opened : undefined) };
    const h = await harness({ pipeline: chain, wrap: observed(hooks) });
    const worker = h.dalston.createWorker({ queues: ['q'], concurrency: 1, handler: () => ({ ok: true }) });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(() => hooks.log.some((l) => l.includes('task.completed')));
    const i = hooks.log.indexOf('enqueue#2');
    expect(i).toBeGreaterThan(-1);
    expect(hooks.log[i + 1]).toMatch(/^publish:.*task\.completed/); // issued right after (coalesced), in order
    expect(await status(h, job.id)).toBe('running');
    slow.open();
    await until(async () => (await status(h, job.id)) === 'completed');
    await worker.close();
    await h.dalston.close();
  });

  it('releases the job slot while the job.completed publish is still in flight', async () => {
    const slow = gate();
    const hooks: Hooks = {
      log: [],
      publish: (types) => (types.includes('job.completed') ? slow.opened : undefined),
    };
    const h = await harness({ pipeline: chain, wrap: observed(hooks), tenantLimits: { concurrentJobs: 1 } });
    const worker = h.dalston.createWorker({ queues: ['q'], concurrency: 1, handler: () => ({ ok: true }) });
    const job = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    // The publish goes out coalesced (after this turn of the event loop); the slot release does not wait for it.
    await until(
      () => hooks.log.includes('releaseSlot') && hooks.log.some((l) => l.includes('job.completed')),
    );
    // The slot is free although the publish has not finished.
    const next = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    slow.open();
    await until(async () => (await status(h, next.id)) === 'completed');
    expect(await status(h, job.id)).toBe('completed');
    await worker.close();
    await h.dalston.close();
  });
});
