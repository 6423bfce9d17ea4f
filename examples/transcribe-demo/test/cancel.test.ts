import { memoryAdapters } from '@dalston/adapter-memory';
import { createDalston, type DalstonEvent } from '@dalston/core';
import { afterEach, describe, expect, it } from 'vitest';
import { jobs, QUEUES } from '../src/pipeline.js';
import { generateSpeechWav } from '../src/wav.js';
import { handlersByQueue } from '../src/workers.js';

const engines: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

describe('handlers honour ctx.signal', () => {
  it('a cancel stops a running stage mid-way, and the job ends cancelled', async () => {
    const adapters = memoryAdapters();
    const engine = createDalston({
      adapters,
      jobs,
      config: { queues: Object.values(QUEUES) },
    });
    engines.push(engine);
    for (const queue of Object.values(QUEUES)) {
      engine.createWorker({ handlers: { transcribe: handlersByQueue[queue] }, concurrency: 2 });
    }
    const tenant = (await engine.tenants.create({ name: 'cancel-test' }))._unsafeUnwrap();
    // Slow steps (2 s each): the cancel has to interrupt the handler's wait to end quickly.
    const job = (
      await engine.jobs.submit({
        tenantId: tenant.id,
        parameters: { paceMs: 2000, diarizeFailures: 0 },
        input: { name: 'audio.wav', body: generateSpeechWav({ seed: 9 }).wav },
      })
    )._unsafeUnwrap();

    const events: DalstonEvent[] = [];
    let cancelledAt = 0;
    for await (const event of engine.jobs.events(tenant.id, job.id)) {
      events.push(event);
      if (event.type === 'task.progress' && !cancelledAt) {
        cancelledAt = Date.now();
        (await engine.jobs.cancel(tenant.id, job.id, 'test'))._unsafeUnwrap();
      }
    }
    const elapsed = Date.now() - cancelledAt;
    expect(elapsed).toBeLessThan(1500);
    const final = (await engine.jobs.get(tenant.id, job.id))._unsafeUnwrap();
    expect(final.status).toBe('cancelled');
    expect(events.some((e) => e.type === 'task.completed')).toBe(false);
    expect(events.filter((e) => e.type === 'task.progress')).toHaveLength(1);
  });
});
