/**
 * Testing a host without HTTP: the example's own job type and handlers on the memory set
 * with a ManualClock (the pattern docs/testing-your-host.md describes).
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { createDalston, type DalstonEvent, ManualClock } from '@dalston/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandlers } from '../src/handlers.js';
import { jobs } from '../src/pipeline.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function engine(clock = new ManualClock()) {
  const dalston = createDalston({ adapters: memoryAdapters({ clock }), jobs });
  closers.push(() => dalston.close());
  (await dalston.tenants.create({ id: 'acme', name: 'Acme' }))._unsafeUnwrap();
  return { dalston, clock };
}

async function eventsOf(dalston: Awaited<ReturnType<typeof engine>>['dalston'], jobId: string) {
  const seen: DalstonEvent[] = [];
  for await (const e of dalston.jobs.events('acme', jobId)) seen.push(e);
  return seen;
}

describe('the example pipeline on the memory set', () => {
  it('runs prepare → transcribe/diarize → merge and writes the transcript', async () => {
    const { dalston } = await engine();
    dalston.createWorker({ handlers: { transcribe: createHandlers(dalston, 0) }, concurrency: 2 });
    const job = await dalston.jobs.submit({
      tenantId: 'acme',
      parameters: { diarize: true, speakers: 4 },
      input: { name: 'a.wav', body: new Uint8Array([1, 2, 3]) },
    });
    const events = await eventsOf(dalston, job._unsafeUnwrap().id);
    expect(events.at(-1)?.type).toBe('job.completed');
    const started = events.filter((e) => e.type === 'task.started').map((e) => e.payload.stage);
    expect(new Set(started)).toEqual(new Set(['prepare', 'transcribe', 'diarize', 'merge']));
  });

  it('rejects bad parameters before anything is stored', async () => {
    const { dalston } = await engine();
    const job = await dalston.jobs.submit({ tenantId: 'acme', parameters: { language: 'klingon' } });
    expect(job._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'parameters.language' });
  });

  it('retries a failing stage after its backoff, on the manual clock', async () => {
    const { dalston, clock } = await engine();
    const handlers = createHandlers(dalston, 0);
    let calls = 0;
    dalston.createWorker({
      handlers: {
        transcribe: {
          ...handlers,
          transcribe: (ctx) => {
            calls += 1;
            if (calls === 1) throw new Error('model not loaded yet');
            return handlers.transcribe(ctx);
          },
        },
      },
    });
    const job = (await dalston.jobs.submit({ tenantId: 'acme' }))._unsafeUnwrap();
    const done = eventsOf(dalston, job.id);
    // The retry waits for its backoff; move the clock until the job finishes.
    while ((await dalston.jobs.get('acme', job.id))._unsafeUnwrap().status !== 'completed') {
      await clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
    const types = (await done).map((e) => e.type);
    expect(types).toContain('task.retrying');
    expect(calls).toBe(2);
  });
});
