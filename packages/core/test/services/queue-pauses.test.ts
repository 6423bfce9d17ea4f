/**
 * How an engine's workers learn of pause switches written elsewhere (another engine): by
 * polling the job store every `queuePollMs`. A failed read keeps the last known switches
 * (an unreachable store neither pauses nor resumes anything) and is logged.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/ports/logger.js';
import { breakable, harness, until } from './harness.js';

const one = { build: () => [{ stage: 'a', queue: 'q' }] };

function recordingLogger(lines: string[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => {
      lines.push(message);
    },
    error: () => {},
    child: () => logger,
  };
  return logger;
}

describe('queue pauses', () => {
  it('a switch written by another engine is honoured after a poll; a failed read keeps it', async () => {
    const jobStoreSwitch = { down: false };
    const warnings: string[] = [];
    const h = await harness({
      pipeline: one,
      config: { queuePollMs: 100 },
      logger: recordingLogger(warnings),
      wrap: (a) => {
        const store = breakable(a.jobStore, 'jobStore');
        Object.defineProperty(jobStoreSwitch, 'down', {
          get: () => store.switch.down,
          set: (v: boolean) => {
            store.switch.down = v;
          },
        });
        return { ...a, jobStore: store.port };
      },
    });
    const jobStore = h.adapters.jobStore;
    let runs = 0;
    h.dalston.createWorker({ queues: ['q'], waitMs: 50, handler: () => ++runs });
    const first = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    await until(async () => {
      await h.advance(10);
      return (await h.dalston.jobs.get(h.tenantId, first.id))._unsafeUnwrap().status === 'completed';
    });

    await jobStore.setQueuePaused('q', true, h.clock.now()); // another engine pauses q
    await h.advance(150);
    jobStoreSwitch.down = true;
    await h.advance(350); // three failed polls
    expect(warnings.filter((w) => w.includes('pause switches'))).not.toHaveLength(0);
    jobStoreSwitch.down = false;
    const held = (await h.dalston.jobs.submit({ tenantId: h.tenantId }))._unsafeUnwrap();
    for (let i = 0; i < 10; i++) await h.advance(20);
    expect(runs).toBe(1);
    expect(await h.adapters.workQueue.stats('q')).toMatchObject({ ready: 1, leased: 0 });

    await jobStore.setQueuePaused('q', false, h.clock.now()); // and resumes it
    await until(async () => {
      await h.advance(20);
      return (await h.dalston.jobs.get(h.tenantId, held.id))._unsafeUnwrap().status === 'completed';
    });
    expect(runs).toBe(2);
    await h.dalston.close();
  });
});
