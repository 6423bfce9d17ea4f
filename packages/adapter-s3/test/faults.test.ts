/**
 * Failures: the S3 server killed mid-upload (its own s3rver, killed by pid), a failing
 * source stream, an aborted upload, an unreachable or silent endpoint. In every case the
 * call fails with the documented code, nothing partial is visible, and secrets stay out
 * of messages.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type S3Adapters, s3Adapters } from '@dalston/adapter-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type S3Server, startS3Server } from '../../../test-support/s3.js';
import { expectCode } from './expect-code.js';
import { generatedBody, jobKey, MiB, rand, storeOn } from './support.js';

let server: S3Server;
let adapters: S3Adapters;
const prefix = `faults-${rand()}/`;

beforeAll(async () => {
  server = await startS3Server({ own: true });
  adapters = storeOn(server, prefix, { partSizeBytes: 5 * MiB, queueSize: 2 });
});
afterAll(async () => {
  await adapters?.close();
  await server?.stop();
});

const store = () => adapters.artifactStore;
const rawKeys = async (key: string) =>
  (
    (await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix + key })))
      .Contents ?? []
  ).map((o) => o.Key);

/** A stream that yields `okBytes` and then fails. */
function failingAfter(okBytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= okBytes) {
        this.destroy(new Error('disk read error'));
        return;
      }
      const n = Math.min(MiB, okBytes - sent);
      sent += n;
      this.push(Buffer.alloc(n, 1));
    },
  });
}

describe('server killed mid-upload', () => {
  it('fails with STORE_UNAVAILABLE, leaves nothing visible, and works again after a restart', async () => {
    const key = jobKey('long.bin');
    const body = generatedBody(512 * MiB, 256 * 1024);
    const put = store().put(key, body.stream);
    const outcome = put.then(
      () => undefined,
      (e) => e,
    );
    // Kill the server once several parts have gone through the adapter.
    while (body.sent() < 11 * MiB) await new Promise((r) => setTimeout(r, 5));
    try {
      await server.kill();
      const error = await expectCode(
        outcome.then((e) => Promise.reject(e)),
        'STORE_UNAVAILABLE',
      );
      expect(error).toMatchObject({ store: 'artifactStore', operation: 'put' });
      expect(body.sent()).toBeLessThan(512 * MiB); // the source was not drained to the end
      expect(body.stream.destroyed).toBe(true);
      await expectCode(store().head(key), 'STORE_UNAVAILABLE');
    } finally {
      await server.restart();
    }
    expect(await store().head(key)).toBeNull();
    expect(await rawKeys(key)).toEqual([]);
    const again = await store().put(key, 'after restart');
    expect(again.size).toBe('after restart'.length);
    expect(await rawKeys(key)).toEqual([prefix + key]);
  }, 60_000);
});

describe('server killed mid-download', () => {
  it('the body stream fails with STORE_UNAVAILABLE', async () => {
    const key = jobKey('download.bin');
    await store().put(key, Buffer.alloc(16 * MiB, 5));
    const { body } = await store().get(key);
    let received = 0;
    const failure = (async () => {
      try {
        for await (const chunk of body) {
          received += chunk.length;
          if (received >= MiB && server.pid !== undefined) await server.kill();
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    try {
      const error = await expectCode(
        failure.then((e) => Promise.reject(e)),
        'STORE_UNAVAILABLE',
      );
      expect(error).toMatchObject({ store: 'artifactStore', operation: 'get' });
      expect(received).toBeLessThan(16 * MiB);
    } finally {
      await server.restart();
    }
  }, 30_000);

  it('destroying the body early releases it without an error', async () => {
    const key = jobKey('partial.bin');
    await store().put(key, Buffer.alloc(4 * MiB, 6));
    const { body } = await store().get(key, { range: { start: 0 } });
    for await (const _ of body) break;
    expect(body.destroyed).toBe(true);
    expect(await store().head(key)).not.toBeNull();
  });
});

describe('failing and aborted bodies', () => {
  it.each([
    ['within the first part (single PutObject path)', 2 * MiB],
    ['after a part (multipart path)', 7 * MiB],
  ])('a source that fails %s rejects the put and writes nothing', async (_, okBytes) => {
    const key = jobKey();
    const error = await expectCode(store().put(key, failingAfter(okBytes)), 'VALIDATION_FAILED');
    expect(error).toMatchObject({ field: 'body', operation: 'put' });
    expect(await rawKeys(key)).toEqual([]);
  });

  it('a failing web ReadableStream rejects the put too', async () => {
    const key = jobKey();
    let n = 0;
    const web = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ < 7) c.enqueue(new Uint8Array(MiB));
        else c.error(new Error('upstream reset'));
      },
    });
    await expectCode(store().put(key, web), 'VALIDATION_FAILED');
    expect(await rawKeys(key)).toEqual([]);
  });

  it('aborting mid-upload rejects with CANCELLED and keeps the previous object whole', async () => {
    const key = jobKey();
    await store().put(key, 'previous version');
    const controller = new AbortController();
    const body = generatedBody(256 * MiB, 256 * 1024);
    const put = store().put(key, body.stream, { signal: controller.signal });
    while (body.sent() < 7 * MiB) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expectCode(put, 'CANCELLED');
    expect(body.stream.destroyed).toBe(true);
    const current = await store().get(key);
    expect(current.info.size).toBe('previous version'.length);
    current.body.resume();
  });

  it('a signal aborted before the call rejects without writing', async () => {
    const key = jobKey();
    await expectCode(store().put(key, 'x', { signal: AbortSignal.abort() }), 'CANCELLED');
    expect(await rawKeys(key)).toEqual([]);
  });
});

describe('unreachable servers fail fast, without secrets in errors', () => {
  const secret = `very-secret-${rand()}`;
  const storeAt = (endpoint: string) =>
    s3Adapters({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret },
      forcePathStyle: true,
      bucket: 'some-bucket',
      prefix: 'p',
      connectionTimeoutMs: 500,
      requestTimeoutMs: 1_000,
      maxAttempts: 2,
    });

  it('connection refused: STORE_UNAVAILABLE naming the operation, in seconds', async () => {
    const down = storeAt(`http://127.0.0.1:${await freePort()}`);
    const started = Date.now();
    for (const [op, call] of [
      ['put', () => down.artifactStore.put(jobKey(), 'x')],
      ['get', () => down.artifactStore.get(jobKey())],
      ['head', () => down.artifactStore.head(jobKey())],
      ['delete', () => down.artifactStore.delete(jobKey())],
      ['deletePrefix', () => down.artifactStore.deletePrefix(`tenants/t-${rand()}/`)],
      ['list', () => down.artifactStore.list(`tenants/t-${rand()}/`)],
      ['ping', () => down.artifactStore.ping()],
    ] as const) {
      const e = await expectCode(call(), 'STORE_UNAVAILABLE');
      expect(e).toMatchObject({ store: 'artifactStore', operation: op });
      expect(`${e.message} ${JSON.stringify(e)}`).not.toContain(secret);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    await down.close();
  });

  it('a server that accepts but never answers: STORE_UNAVAILABLE after the request timeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const hung = storeAt(`http://127.0.0.1:${port}`);
    const started = Date.now();
    const e = await expectCode(hung.artifactStore.head(jobKey()), 'STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(JSON.stringify(e)).not.toContain(secret);
    await hung.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });
});
