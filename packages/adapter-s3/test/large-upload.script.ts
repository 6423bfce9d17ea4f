/**
 * 1 GiB through the adapter: a generated stream goes up (multipart, default 8 MiB parts,
 * queue 4) and comes back down with its SHA-256 verified, while the process RSS is sampled.
 * Not part of the test suite (too slow for CI). Run:
 *
 *   AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true npx tsx packages/adapter-s3/test/large-upload.script.ts [GiB]
 *
 * Uses DALSTON_TEST_S3_ENDPOINT when set, else a private s3rver on a free port.
 */
import { s3Adapters } from '@dalston/adapter-s3';
import { startS3Server } from '../../../test-support/s3.js';
import { generatedBody, jobKey, MiB, rand, sampleRss, sha256Of } from './support.js';

async function main() {
  const gib = Number(process.argv[2] ?? '1');
  const total = Math.round(gib * 1024 * MiB);
  const partSizeBytes = 8 * MiB;
  const queueSize = 4;
  const server = await startS3Server();
  const { artifactStore: store, close } = s3Adapters({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
    checksums: server.isS3rver ? 'when-required' : 'when-supported',
    bucket: server.bucket,
    prefix: `large-${rand()}/`,
    partSizeBytes,
    queueSize,
    capabilities: { abortStaleUploads: !server.isS3rver },
  });
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  const rate = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
  try {
    const key = jobKey('large.raw');
    const body = generatedBody(total, MiB);
    const startRss = process.memoryUsage().rss;

    const up = sampleRss(5);
    let t = performance.now();
    const put = await store.put(key, body.stream, { contentType: 'application/octet-stream' });
    const upMs = performance.now() - t;
    const upRss = up.stop();
    const digest = body.digest();
    if (put.size !== total) throw new Error(`put reported ${put.size} bytes, expected ${total}`);

    const down = sampleRss(5);
    t = performance.now();
    const got = await store.get(key);
    const read = await sha256Of(got.body);
    const downMs = performance.now() - t;
    const downRss = down.stop();
    if (read.bytes !== total || read.hex !== digest)
      throw new Error('downloaded bytes differ from uploaded bytes');

    await store.delete(key);
    console.log(
      JSON.stringify(
        {
          bytes: total,
          sha256: digest,
          partSize: mib(partSizeBytes),
          queueSize,
          upload: {
            seconds: +(upMs / 1000).toFixed(1),
            rate: rate(total, upMs),
            peakRss: mib(upRss.peak),
            peakBuffers: mib(upRss.peakBuffers),
          },
          download: {
            seconds: +(downMs / 1000).toFixed(1),
            rate: rate(total, downMs),
            peakRss: mib(downRss.peak),
            peakBuffers: mib(downRss.peakBuffers),
          },
          rssAtStart: mib(startRss),
          peakRssGrowth: mib(Math.max(upRss.peak, downRss.peak) - startRss),
          bound: mib(partSizeBytes * (queueSize + 2) + 64 * MiB),
          server: server.isS3rver ? 's3rver (child process, not counted in RSS)' : server.endpoint,
        },
        null,
        2,
      ),
    );
  } finally {
    await close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
