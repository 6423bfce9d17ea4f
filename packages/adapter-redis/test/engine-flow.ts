/**
 * Whole-engine flow with the Redis set for WorkQueue, SessionStore, RateLimitStore and
 * EventBus and the memory set for the other ports: jobs with a diamond DAG run to
 * completion through Redis, and the queues are empty afterwards.
 * Also runs core's published whole-engine flow suite (`engineContract`) on the same mix.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { createDalston, type Pipeline } from '@dalston/core';
import { engineContract, realTime } from '@dalston/core/contract';
import { describe, expect, it } from 'vitest';
import { redisAdapters } from '../src/index.js';
import { deletePrefix, keysOf, randomPrefix, type TestTarget, waitFor } from './support.js';

const diamond: Pipeline = {
  build: () => [
    { stage: 'prepare', queue: 'audio' },
    { stage: 'transcribe', queue: 'asr', dependsOn: ['prepare'] },
    { stage: 'diarize', queue: 'asr', dependsOn: ['prepare'] },
    { stage: 'merge', queue: 'audio', dependsOn: ['transcribe', 'diarize'] },
  ],
};

export function engineFlow(target: TestTarget): void {
  engineContract(`${target.name} + memory`, async () => {
    const prefix = randomPrefix('engine');
    const { workQueue, sessionStore, rateLimitStore, eventBus } = redisAdapters({
      client: target.client(),
      prefix,
    });
    return {
      adapters: { ...memoryAdapters(), workQueue, sessionStore, rateLimitStore, eventBus },
      time: realTime,
      cleanup: () => deletePrefix(target.client(), prefix),
      wipeQueue: () => deletePrefix(target.client(), prefix),
    };
  });

  describe(`${target.name}: whole-engine flow (Redis ports + memory set)`, () => {
    it('runs diamond DAG jobs to completion through Redis; nothing is left queued', async () => {
      const prefix = randomPrefix('flow');
      const redis = redisAdapters({ client: target.client(), prefix });
      const { workQueue, sessionStore, rateLimitStore, eventBus } = redis;
      const adapters = { ...memoryAdapters(), workQueue, sessionStore, rateLimitStore, eventBus };
      const dalston = createDalston({ adapters, pipeline: diamond });
      try {
        (await dalston.tenants.create({ id: 'acme', name: 'Acme', limits: {} }))._unsafeUnwrap();
        const events: string[] = [];
        await eventBus.subscribe({ tenantId: 'acme' }, (e) => events.push(e.type));
        const worker = dalston.createWorker({
          queues: ['audio', 'asr'],
          concurrency: 4,
          handler: async (ctx) => ({ stage: ctx.task.stage }),
        });
        const jobs: { id: string }[] = [];
        for (let i = 0; i < 5; i++) {
          jobs.push((await dalston.jobs.submit({ tenantId: 'acme', parameters: { n: i } }))._unsafeUnwrap());
        }
        await waitFor(async () => {
          const states = await Promise.all(jobs.map((j) => dalston.jobs.get('acme', j.id)));
          return states.every((s) => s._unsafeUnwrap().status === 'completed');
        }, 15_000);
        await worker.close();
        for (const q of ['audio', 'asr']) {
          expect(await workQueue.stats(q)).toEqual({ ready: 0, delayed: 0, leased: 0, dead: 0 });
        }
        expect((await keysOf(target.client(), prefix)).filter((k) => k.includes(':q:'))).toEqual([]);
        await waitFor(() => events.filter((t) => t === 'job.completed').length === 5);
      } finally {
        await dalston.close();
        await redis.close();
        await deletePrefix(target.client(), prefix);
      }
    });
  });
}
