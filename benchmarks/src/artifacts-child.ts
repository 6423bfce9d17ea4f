/**
 * One artifact transfer in its own process, so each client's peak RSS is its own:
 * `<client> <direction> <json config>` where client is `dalston` (S3ArtifactStore) or `sdk`
 * (bare `@aws-sdk/lib-storage` Upload / GetObject), direction `up` (a generated stream of
 * `bytes`) or `down` (read the object and discard it). RSS is sampled every 50 ms; the
 * result is one JSON line on stdout: { ms, bytes, peakRss, baseRss }.
 */
import 'reflect-metadata';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type S3ArtifactStore, s3Adapters } from '@dalston/adapter-s3';
import { s3ClientFor } from '../../test-support/s3.js';

interface ChildConfig {
  endpoint: string;
  bucket: string;
  /** Core-derived artifact key (the adapter has no prefix, so it is also the object key). */
  key: string;
  bytes: number;
}

const CHUNK = 1024 * 1024;

/** `bytes` bytes in 1 MiB chunks of one random block (no allocation per chunk on either side). */
function generated(bytes: number): Readable {
  const block = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) block[i] = (i * 2654435761) >>> 24;
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return void this.push(null);
      const n = Math.min(CHUNK, bytes - sent);
      sent += n;
      this.push(n === CHUNK ? block : block.subarray(0, n));
    },
  });
}

async function drain(body: Readable): Promise<number> {
  let n = 0;
  await pipeline(
    body,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        n += chunk.byteLength;
        cb();
      },
    }),
  );
  return n;
}

async function main(): Promise<void> {
  const [who, direction, json] = process.argv.slice(2);
  const cfg = JSON.parse(json!) as ChildConfig;
  const client = s3ClientFor(cfg.endpoint, 'us-east-1', { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  const store: S3ArtifactStore = s3Adapters({ client, bucket: cfg.bucket }).artifactStore;
  global.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  let bytes = 0;
  if (who === 'dalston' && direction === 'up') {
    bytes = (await store.put(cfg.key, generated(cfg.bytes))).size;
  } else if (who === 'sdk' && direction === 'up') {
    await new Upload({
      client,
      params: { Bucket: cfg.bucket, Key: cfg.key, Body: generated(cfg.bytes) },
    }).done();
    bytes = cfg.bytes;
  } else if (who === 'dalston' && direction === 'down') {
    bytes = await drain((await store.get(cfg.key)).body);
  } else if (who === 'sdk' && direction === 'down') {
    const out = await client.send(new GetObjectCommand({ Bucket: cfg.bucket, Key: cfg.key }));
    bytes = await drain(out.Body as Readable);
  } else throw new Error(`usage: artifacts-child dalston|sdk up|down <json>`);
  const ms = performance.now() - t0;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (bytes !== cfg.bytes)
    throw new Error(`${who} ${direction}: moved ${bytes} bytes, expected ${cfg.bytes}`);
  process.stdout.write(`${JSON.stringify({ ms, bytes, peakRss, baseRss })}\n`);
  client.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
