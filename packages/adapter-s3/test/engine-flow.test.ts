/**
 * The whole engine with S3 for artifacts and the memory set for every other port: a job's
 * input streams to S3 at submit, a worker reads it and writes a task artifact, the job
 * completes, every URI resolves through a raw S3 read, and deleting the job empties its
 * prefix in the bucket, checked with raw S3 reads (core's flow suite runs in engine.contract.test.ts).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { memoryAdapters } from '@dalston/adapter-memory';
import type { S3Adapters } from '@dalston/adapter-s3';
import { createDalston, type Dalston, type JsonValue } from '@dalston/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { rand, readAll, storeOn } from './support.js';

let server: S3Server;
let s3: S3Adapters;
let dalston: Dalston;
const prefix = `engine-${rand()}/`;

beforeAll(async () => {
  server = await startS3Server();
  s3 = storeOn(server, prefix);
  dalston = createDalston({
    adapters: { ...memoryAdapters(), artifactStore: s3.artifactStore },
    pipeline: {
      build: () => [
        { stage: 'transcribe', queue: 'asr' },
        { stage: 'merge', queue: 'asr', dependsOn: ['transcribe'] },
      ],
    },
  });
});
afterAll(async () => {
  await dalston?.close();
  await server?.stop();
});

const rawKeys = async (p: string) =>
  (
    (await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix + p })))
      .Contents ?? []
  ).map((o) => o.Key?.slice(prefix.length));

it('runs a job whose input and outputs live in S3, then deletes them with the job', async () => {
  const tenantId = `t-${rand()}`;
  (await dalston.tenants.create({ id: tenantId, name: 'S3 flow' }))._unsafeUnwrap();
  const audio = Buffer.from('RIFF....WAVEfmt fake audio bytes');

  const worker = dalston.createWorker({
    queues: ['asr'],
    concurrency: 1,
    handler: async (ctx): Promise<JsonValue> => {
      if (ctx.task.stage === 'transcribe') {
        const input = await readAll(await ctx.artifacts.get(ctx.artifacts.inputUri!));
        const out = await ctx.artifacts.put('words.txt', `heard ${input.length} bytes`, {
          contentType: 'text/plain',
        });
        return { words: out.uri };
      }
      const parent = ctx.parents.transcribe?.output as { words: string };
      return { text: (await readAll(await ctx.artifacts.get(parent.words))).toString() };
    },
  });

  const job = (
    await dalston.jobs.submit({
      tenantId,
      parameters: {},
      input: { name: 'audio.wav', body: audio, contentType: 'audio/wav' },
    })
  )._unsafeUnwrap();
  expect(job.input).toMatch(new RegExp(`^s3://${server.bucket}/${prefix}tenants/${tenantId}/jobs/`));

  const deadline = Date.now() + 15_000;
  let status = job.status;
  while (!['completed', 'failed', 'cancelled'].includes(status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    status = (await dalston.jobs.get(tenantId, job.id))._unsafeUnwrap().status;
  }
  expect(status).toBe('completed');
  await worker.close();

  const jobPrefix = `tenants/${tenantId}/jobs/${job.id}/`;
  expect((await rawKeys(jobPrefix)).sort()).toEqual([
    `${jobPrefix}input/audio.wav`,
    `${jobPrefix}tasks/transcribe/words.txt`,
  ]);
  const words = await s3.artifactStore.get(`${jobPrefix}tasks/transcribe/words.txt`);
  expect((await readAll(words.body)).toString()).toBe(`heard ${audio.length} bytes`);

  (await dalston.jobs.delete(tenantId, job.id))._unsafeUnwrap();
  expect(await rawKeys(jobPrefix)).toEqual([]);
});
