/**
 * Shared by the adapter-s3 tests: a store on a test server with an object prefix of its
 * own, random core keys, generated bodies with their SHA-256, and RSS sampling.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { s3Adapters } from '@dalston/adapter-s3';
import type { S3Server } from '../../../test-support/s3.js';

export const MiB = 1024 * 1024;

export const rand = () => randomBytes(5).toString('hex');

/** A fresh core key under a fresh tenant and job. */
export const jobKey = (name = 'audio.bin', kind: 'input' | 'output' = 'input') =>
  `tenants/t-${rand()}/jobs/j-${rand()}/${kind}/${name}`;

/**
 * A store on `server` under `prefix`, built from connection options (the adapter owns
 * its client) so the options path is what the tests exercise. s3rver cannot list or
 * abort multipart uploads, so that capability is declared off there.
 */
export function storeOn(
  server: S3Server,
  prefix: string,
  extra: { partSizeBytes?: number; queueSize?: number } = {},
) {
  return s3Adapters({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
    checksums: server.isS3rver ? 'when-required' : 'when-supported',
    bucket: server.bucket,
    prefix,
    connectionTimeoutMs: 1_000,
    maxAttempts: 2,
    capabilities: { abortStaleUploads: !server.isS3rver },
    ...extra,
  });
}

/** A generated body of `total` bytes in `chunk`-sized pieces; `digest()` once it has been read. */
export function generatedBody(total: number, chunk = MiB) {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, total - sent);
      const bytes = randomBytes(n);
      hash.update(bytes);
      sent += n;
      this.push(bytes);
    },
  });
  return { stream, digest: () => hash.digest('hex'), sent: () => sent };
}

export async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { hex: hash.digest('hex'), bytes };
}

export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Samples the process memory every `everyMs` until stopped; returns the RSS baseline and
 * peak, and the peak of `arrayBuffers` (Buffer memory not yet collected).
 */
export function sampleRss(everyMs = 10) {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let peakBuffers = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { baseline, peak, growth: peak - baseline, peakBuffers };
    },
  };
}
