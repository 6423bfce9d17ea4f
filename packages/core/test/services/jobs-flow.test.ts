import { describe, expect, it } from 'vitest';
import { harness, until } from './harness.js';

describe('jobs: submit and run a DAG', () => {
  it('runs a diamond DAG end to end, handing parents outputs to children', async () => {
    const h = await harness();
    const seen: Record<string, unknown> = {};
    const worker = h.dalston.createWorker({
      queues: ['audio', 'asr'],
      concurrency: 2,
      handler: async (ctx) => {
        seen[ctx.task.stage] = ctx.parents;
        return { stage: ctx.task.stage };
      },
    });
    const job = (
      await h.dalston.jobs.submit({ tenantId: h.tenantId, parameters: { lang: 'en' } })
    )._unsafeUnwrap();
    expect(job.status).toBe('pending');
    await until(
      async () => (await h.dalston.jobs.get(h.tenantId, job.id))._unsafeUnwrap().status === 'completed',
    );
    expect(seen.merge).toEqual({
      transcribe: { status: 'completed', output: { stage: 'transcribe' } },
      diarize: { status: 'completed', output: { stage: 'diarize' } },
    });
    const events = (await h.dalston.jobs.readEvents(h.tenantId, job.id, { limit: 1000 }))._unsafeUnwrap();
    expect(events.at(-1)?.type).toBe('job.completed');
    await worker.close();
    await h.dalston.close();
  });
});
