/**
 * S3ArtifactStore against a real S3-compatible server, with every write checked through a
 * second channel: raw SDK calls on the bucket, bypassing the adapter.
 */
import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { type S3Adapters, s3Adapters } from '@dalston/adapter-s3';
import { guardPortNamed } from '@dalston/core/adapter';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type S3Server, s3ClientFor, startS3Server } from '../../../test-support/s3.js';
import { expectCode } from './expect-code.js';
import { jobKey, MiB, rand, readAll, storeOn } from './support.js';

let server: S3Server;
let adapters: S3Adapters;
const prefix = `store-${rand()}/`;

beforeAll(async () => {
  server = await startS3Server();
  adapters = storeOn(server, prefix, { partSizeBytes: 5 * MiB, queueSize: 2 });
});
afterAll(async () => {
  await adapters?.close();
  await server?.stop();
});

/** The store behind core's port guard, as an engine uses it (argument checks are core's). */
const store = () => guardPortNamed('artifactStore', adapters.artifactStore);
const rawGet = async (key: string) =>
  server.client.send(new GetObjectCommand({ Bucket: server.bucket, Key: prefix + key }));
const rawList = async (p: string) =>
  (await server.client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix + p })))
    .Contents ?? [];

describe('put', () => {
  it.each([
    ['a string', () => 'héllo wörld', Buffer.from('héllo wörld')],
    ['bytes', () => new Uint8Array([0, 1, 2, 255]), Buffer.from([0, 1, 2, 255])],
    ['a Node Readable', () => Readable.from([Buffer.from('ab'), Buffer.from('cd')]), Buffer.from('abcd')],
    [
      'a web ReadableStream',
      () =>
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new Uint8Array([9, 8]));
            c.enqueue(new Uint8Array([7]));
            c.close();
          },
        }),
      Buffer.from([9, 8, 7]),
    ],
    ['an empty body', () => '', Buffer.alloc(0)],
  ])('writes %s; the raw object has the same bytes, type and metadata', async (_, body, expected) => {
    const key = jobKey('in.bin');
    const res = await store().put(key, body(), {
      contentType: 'audio/wav',
      metadata: { 'source-name': 'x.wav' },
    });
    expect(res).toMatchObject({ key, size: expected.length, uri: `s3://${server.bucket}/${prefix}${key}` });
    expect(res.etag).toMatch(/^[0-9a-f-]+$/);
    const raw = await rawGet(key);
    expect(Buffer.from(await raw.Body!.transformToByteArray())).toEqual(expected);
    expect(raw.ContentType).toBe('audio/wav');
    expect(raw.Metadata).toEqual({ 'source-name': 'x.wav' });
  });

  it('streams a body larger than a part as a multipart upload', async () => {
    const key = jobKey('big.bin');
    const bytes = Buffer.alloc(12 * MiB + 123, 7);
    bytes.write('start', 0);
    bytes.write('end', bytes.length - 3);
    const { adapters: recorded, sent } = recordingStore();
    const res = await recorded.artifactStore.put(key, Readable.from(chunks(bytes, 256 * 1024)), {
      contentType: 'x/y',
    });
    expect(res.size).toBe(bytes.length);
    expect(sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(3); // 5 + 5 + 2 MiB
    expect(sent).toContain('CompleteMultipartUploadCommand');
    expect(sent).not.toContain('PutObjectCommand');
    const raw = await rawGet(key);
    expect(Buffer.from(await raw.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(raw.ContentType).toBe('x/y');
  });

  it('sends large in-memory bytes as multipart too', async () => {
    const key = jobKey('bytes.bin');
    const bytes = Buffer.alloc(6 * MiB, 3);
    const { adapters: recorded, sent } = recordingStore();
    const res = await recorded.artifactStore.put(key, bytes);
    expect(res.size).toBe(bytes.length);
    expect(sent.filter((c) => c === 'UploadPartCommand')).toHaveLength(2);
    const raw = await rawGet(key);
    expect(Buffer.from(await raw.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  it('sends a stream that fits in one part with a single PutObject', async () => {
    const { adapters: recorded, sent } = recordingStore();
    const res = await recorded.artifactStore.put(jobKey(), Readable.from([Buffer.alloc(5 * MiB, 1)]));
    expect(res.size).toBe(5 * MiB);
    expect(sent).toEqual(['PutObjectCommand']);
  });

  it('overwrites an existing object', async () => {
    const key = jobKey();
    await store().put(key, 'one');
    await store().put(key, 'two!');
    expect((await readAll((await rawGet(key)).Body as Readable)).toString()).toBe('two!');
  });

  it('refuses a declared contentLength that does not match, writing nothing', async () => {
    const key = jobKey();
    await expectCode(
      store().put(key, Readable.from([Buffer.from('abc')]), { contentLength: 5 }),
      'VALIDATION_FAILED',
    );
    await expectCode(
      store().put(key, Buffer.alloc(6 * MiB), { contentLength: 6 * MiB + 1 }),
      'VALIDATION_FAILED',
    );
    expect(await store().head(key)).toBeNull();
  });

  it('refuses bad metadata and content types', async () => {
    await expectCode(store().put(jobKey(), 'x', { metadata: { Bad_Key: 'v' } }), 'VALIDATION_FAILED');
    await expectCode(store().put(jobKey(), 'x', { metadata: { k: 'naïve' } }), 'VALIDATION_FAILED');
    await expectCode(store().put(jobKey(), 'x', { contentType: 'a\nb' }), 'VALIDATION_FAILED');
  });
});

describe('keys and URIs', () => {
  it.each([
    'raw/key',
    '../tenants/t/jobs/j/input/a',
    'tenants/t/jobs/j/input/../x',
    '/tenants/t/jobs/j/input/a',
    'tenants/t/jobs/j/other/a',
    '',
  ])('refuses a key core did not derive: %j', async (key) => {
    await expectCode(store().put(key, 'x'), 'VALIDATION_FAILED');
    await expectCode(store().get(key), 'VALIDATION_FAILED');
    await expectCode(store().head(key), 'VALIDATION_FAILED');
    await expectCode(store().delete(key), 'VALIDATION_FAILED');
    expect(() => store().uriFor(key)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('round-trips keys through URIs and refuses other schemes, buckets and prefixes', () => {
    const key = jobKey('out.json', 'output');
    const uri = store().uriFor(key);
    expect(uri).toBe(`s3://${server.bucket}/${prefix}${key}`);
    expect(store().keyFromUri(uri)).toBe(key);
    for (const bad of [
      `memory://dalston/${key}`,
      `s3://other-bucket/${prefix}${key}`,
      `s3://${server.bucket}/${key}`,
      `s3://${server.bucket}/${prefix}raw/key`,
      `https://${server.bucket}.s3.amazonaws.com/${prefix}${key}`,
    ]) {
      expect(() => store().keyFromUri(bad), bad).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    }
  });

  it('refuses prefixes core did not derive', async () => {
    await expectCode(store().deletePrefix(''), 'VALIDATION_FAILED');
    await expectCode(store().deletePrefix('tenants/t/jobs'), 'VALIDATION_FAILED');
    await expectCode(store().list('other/'), 'VALIDATION_FAILED');
  });
});

describe('get and head', () => {
  it('reads whole objects and byte ranges, with info', async () => {
    const key = jobKey();
    await store().put(key, '0123456789', { contentType: 'text/plain', metadata: { a: '1' } });
    const whole = await store().get(key);
    expect((await readAll(whole.body)).toString()).toBe('0123456789');
    expect(whole.info).toMatchObject({ key, size: 10, contentType: 'text/plain', metadata: { a: '1' } });
    const mid = await store().get(key, { range: { start: 2, end: 4 } });
    expect((await readAll(mid.body)).toString()).toBe('234');
    expect(mid.info.size).toBe(10);
    const tail = await store().get(key, { range: { start: 7 } });
    expect((await readAll(tail.body)).toString()).toBe('789');
    const past = await store().get(key, { range: { start: 8, end: 100 } });
    expect((await readAll(past.body)).toString()).toBe('89');
  });

  it('refuses invalid or unsatisfiable ranges with VALIDATION_FAILED', async () => {
    const key = jobKey();
    await store().put(key, 'abc');
    await expectCode(store().get(key, { range: { start: 3 } }), 'VALIDATION_FAILED');
    await expectCode(store().get(key, { range: { start: -1 } }), 'VALIDATION_FAILED');
    await expectCode(store().get(key, { range: { start: 2, end: 1 } }), 'VALIDATION_FAILED');
    await expectCode(store().get(key, { range: { start: 0.5 } }), 'VALIDATION_FAILED');
  });

  it('reports a missing object as NOT_FOUND (get) and null (head)', async () => {
    const key = jobKey();
    await expectCode(store().get(key), 'NOT_FOUND');
    expect(await store().head(key)).toBeNull();
  });

  it('head matches what a raw HeadObject sees', async () => {
    const key = jobKey();
    await server.client.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: prefix + key, Body: 'raw', Metadata: { m: 'v' } }),
    );
    const raw = await server.client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: prefix + key }));
    const info = await store().head(key);
    expect(info).toMatchObject({ key, size: 3, metadata: { m: 'v' }, etag: raw.ETag?.replaceAll('"', '') });
    expect(info?.lastModified).toBe(raw.LastModified?.getTime());
  });
});

describe('delete, deletePrefix and list', () => {
  it('delete is idempotent', async () => {
    const key = jobKey();
    await store().put(key, 'x');
    await store().delete(key);
    await store().delete(key);
    expect(await rawList(key)).toEqual([]);
  });

  it('lists a prefix in pages (core keys, without the adapter prefix) and deletes it all', async () => {
    const job = `tenants/t-${rand()}/jobs/j-${rand()}/`;
    const keys = Array.from({ length: 7 }, (_, i) => `${job}tasks/stage-a/part-${i}.bin`).sort();
    await Promise.all(keys.map((k) => store().put(k, k)));
    const other = jobKey();
    await store().put(other, 'stays');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store().list(job, { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.key));
      for (const i of page.items) expect(i).toMatchObject({ size: i.key.length, uri: store().uriFor(i.key) });
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(keys);

    expect(await store().deletePrefix(job)).toBe(7);
    expect(await rawList(job)).toEqual([]);
    expect((await store().list(job)).items).toEqual([]);
    expect(await store().deletePrefix(job)).toBe(0);
    expect(await store().head(other)).not.toBeNull();
  });

  it('deletePrefix removes more than one batch of 1,000 keys', async () => {
    const job = `tenants/t-${rand()}/jobs/j-${rand()}/`;
    const keys = Array.from({ length: 1_001 }, (_, i) => `${job}output/o-${i}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys
          .slice(i, i + 100)
          .map((k) =>
            server.client.send(new PutObjectCommand({ Bucket: server.bucket, Key: prefix + k, Body: 'x' })),
          ),
      );
    }
    expect(await store().deletePrefix(job)).toBe(1_001);
    expect(await rawList(job)).toEqual([]);
  }, 60_000);

  it('refuses bad limits and cursors', async () => {
    const job = `tenants/t-${rand()}/`;
    await expectCode(store().list(job, { limit: 0 }), 'VALIDATION_FAILED');
    await expectCode(store().list(job, { limit: 1001 }), 'VALIDATION_FAILED');
    await expectCode(store().list(job, { cursor: 'not-a-cursor' }), 'VALIDATION_FAILED');
  });
});

describe('capabilities, ping and close', () => {
  it('declares its capabilities as data', () => {
    expect(store().capabilities).toEqual({ presign: true, abortStaleUploads: !server.isS3rver });
  });

  it('abortStaleUploads returns 0 when the capability is off', async () => {
    if (server.isS3rver) expect(await store().abortStaleUploads(0)).toBe(0);
    await expectCode(store().abortStaleUploads(-1), 'VALIDATION_FAILED');
  });

  it('pings, and after close refuses calls with CLOSED', async () => {
    const own = storeOn(server, prefix);
    await own.artifactStore.ping();
    await own.close();
    await own.close();
    await expectCode(own.artifactStore.head(jobKey()), 'CLOSED');
  });
});

/** A store on the test server's client that records which commands it sends. */
function recordingStore() {
  const client = s3ClientFor(server.endpoint, server.region, server.credentials);
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const recorded = s3Adapters({
    client,
    bucket: server.bucket,
    prefix,
    partSizeBytes: 5 * MiB,
    queueSize: 2,
  });
  onTestFinished(() => client.destroy());
  return { adapters: recorded, sent };
}

function* chunks(bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
