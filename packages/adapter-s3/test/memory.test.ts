/**
 * Bounded memory: a generated 64 MiB stream goes up and comes back down while the process
 * RSS is sampled. Growth must stay under partSize * (queueSize + 2) plus 64 MiB of slack
 * (the SDK, sockets, the allocator). RSS alone is a loose check for 64 MiB, so the test
 * also measures read-ahead directly: bytes taken from the source minus bytes whose
 * UploadPart the server acknowledged never exceed partSize * (queueSize + 2).
 * The 1 GiB run is `large-upload.script.ts` (not in CI).
 */
import { type S3Adapters, s3Adapters } from '@dalston/adapter-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type S3Server, s3ClientFor, startS3Server } from '../../../test-support/s3.js';
import { generatedBody, jobKey, MiB, rand, sampleRss, sha256Of, storeOn } from './support.js';

const partSizeBytes = 8 * MiB;
const queueSize = 4;
const bound = partSizeBytes * (queueSize + 2) + 64 * MiB;

let server: S3Server;
let adapters: S3Adapters;
const prefix = `memory-${rand()}/`;

beforeAll(async () => {
  server = await startS3Server();
  adapters = storeOn(server, prefix, { partSizeBytes, queueSize });
});
afterAll(async () => {
  await adapters?.close();
  await server?.stop();
});

it('streams 64 MiB up and down with bounded RSS growth and the same SHA-256', async () => {
  const key = jobKey('long.raw');
  const total = 64 * MiB;
  const body = generatedBody(total, 256 * 1024);

  let acknowledged = 0;
  let maxReadAhead = 0;
  const client = s3ClientFor(server.endpoint, server.region, server.credentials);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      maxReadAhead = Math.max(maxReadAhead, body.sent() - acknowledged);
      const out = await next(args);
      const input = args.input as { Body?: Uint8Array };
      if (context.commandName === 'UploadPartCommand') acknowledged += input.Body?.byteLength ?? 0;
      return out;
    },
    { step: 'initialize', name: 'measureReadAhead' },
  );
  const store = s3Adapters({ client, bucket: server.bucket, prefix, partSizeBytes, queueSize }).artifactStore;
  const probe = setInterval(() => {
    maxReadAhead = Math.max(maxReadAhead, body.sent() - acknowledged);
  }, 5);

  const up = sampleRss();
  const put = await store.put(key, body.stream, { contentType: 'application/octet-stream' });
  const upRss = up.stop();
  clearInterval(probe);
  expect(put.size).toBe(total);
  const digest = body.digest();

  expect(maxReadAhead).toBeLessThanOrEqual(partSizeBytes * (queueSize + 2));

  const down = sampleRss();
  const { body: stream, info } = await adapters.artifactStore.get(key);
  const read = await sha256Of(stream);
  const downRss = down.stop();

  expect(info.size).toBe(total);
  expect(read).toEqual({ hex: digest, bytes: total });
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  console.info(
    `64 MiB: RSS growth up ${mib(upRss.growth)}, down ${mib(downRss.growth)} (bound ${mib(bound)}); ` +
      `max read-ahead ${mib(maxReadAhead)}`,
  );
  expect(upRss.growth).toBeLessThan(bound);
  expect(downRss.growth).toBeLessThan(bound);
  client.destroy();
}, 60_000);
