/**
 * ArtifactStore contract: put from every body type, get with ranges, head, overwrite,
 * idempotent delete, deletePrefix counts, paged listing, refusal of keys core did not
 * derive, NOT_FOUND, failing or aborted bodies leave nothing, URI round trip, and
 * presigned URLs exactly when the capability says so.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  jobInputKey,
  jobOutputKey,
  jobPrefix,
  sessionArtifactKey,
  taskArtifactKey,
} from '../domain/artifact-key.js';
import type { ArtifactStore } from '../ports/artifact-store.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { randomName, withFixture } from './harness.js';
import { portLifecycleContract } from './lifecycle.js';

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Deterministic bytes of `size` (not all equal, so ranges are checked for real). */
const bytesOf = (size: number): Buffer =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) % 256));

function chunked(data: Buffer, chunkSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) out.push(data.subarray(i, i + chunkSize));
  return out;
}

function webStreamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

/** A Node stream that yields one chunk, then fails. */
function failingStream(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.from('partial data'));
      } else {
        this.destroy(new Error('source broke'));
      }
    },
  });
}

/** Fresh tenant and job ids for one test. */
const ids = () => ({ tenant: randomName('t'), job: randomName('job') });

export function artifactStoreContract(name: string, unguarded: PortFactory<ArtifactStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('artifactStore', unguarded);
  portLifecycleContract(
    name,
    'artifactStore',
    factory,
    {
      operation: 'put',
      call: (s) => s.put(jobInputKey(randomName('t'), randomName('job'), 'a.bin'), 'x'),
    },
    { operation: 'head', call: (s) => s.head(jobInputKey(randomName('t'), randomName('job'), 'a.bin')) },
  );
  const test = (title: string, body: Parameters<typeof withFixture<ArtifactStore>>[1]) =>
    it(title, () => withFixture(factory, body));

  describe(`${name}: ArtifactStore`, () => {
    test('put accepts Uint8Array, string, Node Readable and web ReadableStream bodies', async ({ port }) => {
      const { tenant, job } = ids();
      const data = bytesOf(200_000);
      const bodies = {
        bytes: new Uint8Array(data),
        string: 'héllo wörld',
        node: Readable.from(chunked(data, 16_384)),
        web: webStreamOf(chunked(data, 10_000)),
      };
      for (const [kind, body] of Object.entries(bodies)) {
        const key = jobInputKey(tenant, job, `${kind}.bin`);
        const expected = kind === 'string' ? Buffer.from('héllo wörld', 'utf8') : data;
        const result = await port.put(key, body, { contentType: 'application/octet-stream' });
        expect(result).toMatchObject({ key, uri: port.uriFor(key), size: expected.length });
        expect(result.etag).toMatch(/^[^"]+$/);
        const got = await port.get(key);
        expect(got.info).toMatchObject({ key, size: expected.length, etag: result.etag });
        expect((await readAll(got.body)).equals(expected)).toBe(true);
      }
    });

    test('head returns the metadata, or null when missing; get of a missing object is NOT_FOUND', async ({
      port,
    }) => {
      const { tenant, job } = ids();
      const key = jobOutputKey(tenant, job, 'transcript.json');
      const before = Date.now();
      const put = await port.put(key, '{"text":"hi"}', {
        contentType: 'application/json',
        metadata: { 'job-id': job, stage: 'merge' },
      });
      const info = await port.head(key);
      expect(info).toMatchObject({
        key,
        uri: put.uri,
        size: 13,
        etag: put.etag,
        contentType: 'application/json',
        metadata: { 'job-id': job, stage: 'merge' },
      });
      expect(typeof info!.lastModified).toBe('number');
      expect(info!.lastModified).toBeGreaterThan(before - 366 * 86_400_000);
      const missing = jobOutputKey(tenant, job, 'missing.json');
      expect(await port.head(missing)).toBeNull();
      await expect(port.get(missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('get with byte ranges (end inclusive, open end, clamped end); a range outside is VALIDATION_FAILED', async ({
      port,
    }) => {
      const { tenant, job } = ids();
      const key = taskArtifactKey(tenant, job, 'transcribe', 'segments.bin');
      const data = bytesOf(1000);
      await port.put(key, data);
      const range = async (start: number, end?: number) =>
        readAll((await port.get(key, { range: end === undefined ? { start } : { start, end } })).body);
      expect((await range(0, 9)).equals(data.subarray(0, 10))).toBe(true);
      expect((await range(990)).equals(data.subarray(990))).toBe(true);
      expect((await range(999, 999)).equals(data.subarray(999))).toBe(true);
      expect((await range(500, 5000)).equals(data.subarray(500))).toBe(true);
      await expect(port.get(key, { range: { start: 1000 } })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(port.get(key, { range: { start: 10, end: 5 } })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(port.get(key, { range: { start: -1 } })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    test('put overwrites; delete is idempotent', async ({ port }) => {
      const { tenant, job } = ids();
      const key = taskArtifactKey(tenant, job, 'diarize', 'out.txt');
      await port.put(key, 'first version');
      await port.put(key, 'second');
      expect((await readAll((await port.get(key)).body)).toString()).toBe('second');
      expect((await port.head(key))?.size).toBe(6);
      await port.delete(key);
      await port.delete(key);
      expect(await port.head(key)).toBeNull();
    });

    test('deletePrefix removes everything under a job and returns the count', async ({ port }) => {
      const { tenant, job } = ids();
      const otherJob = randomName('job');
      const doomed = [
        jobInputKey(tenant, job, 'audio.wav'),
        taskArtifactKey(tenant, job, 'transcribe', 'part/1.bin'),
        jobOutputKey(tenant, job, 'result.json'),
      ];
      const kept = [
        jobInputKey(tenant, otherJob, 'audio.wav'),
        sessionArtifactKey(tenant, randomName('s'), 'a.wav'),
      ];
      for (const key of [...doomed, ...kept]) await port.put(key, key);
      expect(await port.deletePrefix(jobPrefix(tenant, job))).toBe(3);
      expect(await port.deletePrefix(jobPrefix(tenant, job))).toBe(0);
      for (const key of doomed) expect(await port.head(key)).toBeNull();
      for (const key of kept) expect(await port.head(key)).not.toBeNull();
      expect((await port.list(jobPrefix(tenant, job))).items).toEqual([]);
      expect(await port.deletePrefix(`tenants/${tenant}/`)).toBe(2);
    });

    test('list pages objects under a prefix in key order', async ({ port }) => {
      const { tenant, job } = ids();
      const keys = ['e.bin', 'a.bin', 'c.bin', 'b.bin', 'd.bin'].map((n) => jobInputKey(tenant, job, n));
      for (const key of keys) await port.put(key, bytesOf(3));
      await port.put(jobInputKey(tenant, randomName('job'), 'other.bin'), 'x');
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await port.list(jobPrefix(tenant, job), { limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        for (const item of page.items) expect(item).toMatchObject({ size: 3, uri: port.uriFor(item.key) });
        seen.push(...page.items.map((i) => i.key));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...keys].sort());
      expect(pages).toBe(3);
      expect((await port.list(`tenants/${tenant}/`)).items).toHaveLength(6);
      expect(await port.list(`tenants/${randomName('t')}/`)).toEqual({ items: [], nextCursor: null });
    });

    test('refuses keys and prefixes core did not derive', async ({ port }) => {
      const { tenant, job } = ids();
      const badKeys = [
        'audio.wav',
        `/tenants/${tenant}/jobs/${job}/input/a.wav`,
        `tenants/${tenant}/jobs/${job}/input/../../other/a.wav`,
        `tenants/${tenant}/jobs/${job}/input/..`,
        `tenants/${tenant}/jobs/${job}/elsewhere/a.wav`,
        `tenants/${tenant}/jobs/${job}/input/`,
        `tenants/${tenant}/jobs/${job}/input/a b.wav`,
      ];
      for (const key of badKeys) {
        await expect(port.put(key, 'x'), key).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(port.get(key), key).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(port.head(key), key).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(port.delete(key), key).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      for (const prefix of ['', 'tenants', `tenants/${tenant}`, `tenants/${tenant}/jobs/`, 'other/', '../']) {
        await expect(port.list(prefix), prefix).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(port.deletePrefix(prefix), prefix).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    test('a failing or aborted body leaves nothing, and does not clobber what was there', async ({
      port,
    }) => {
      const { tenant, job } = ids();
      const fresh = jobInputKey(tenant, job, 'broken.bin');
      await expect(port.put(fresh, failingStream())).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const failingWeb = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array([1, 2, 3]));
          controller.error(new Error('web source broke'));
        },
      });
      await expect(port.put(fresh, failingWeb)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await port.head(fresh)).toBeNull();
      const existing = jobInputKey(tenant, job, 'kept.bin');
      await port.put(existing, 'original');
      await expect(port.put(existing, failingStream())).rejects.toBeDefined();
      expect((await readAll((await port.get(existing)).body)).toString()).toBe('original');
      const controller = new AbortController();
      const endless = new Readable({ read() {} });
      endless.push(Buffer.from('some bytes'));
      const pending = port.put(jobInputKey(tenant, job, 'aborted.bin'), endless, {
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
      expect(await port.head(jobInputKey(tenant, job, 'aborted.bin'))).toBeNull();
      expect((await port.list(jobPrefix(tenant, job))).items.map((i) => i.key)).toEqual([existing]);
    });

    test('keyFromUri inverts uriFor and refuses other schemes and buckets', async ({ port }) => {
      const { tenant, job } = ids();
      const key = jobOutputKey(tenant, job, 'export/subtitles.srt');
      const uri = port.uriFor(key);
      expect(port.keyFromUri(uri)).toBe(key);
      const put = await port.put(key, 'x');
      expect(port.keyFromUri(put.uri)).toBe(key);
      const schemeEnd = uri.indexOf('://') + 3;
      const bucketEnd = uri.indexOf('/', schemeEnd);
      const otherBucket = `${uri.slice(0, schemeEnd)}other-bucket-${randomName('b')}${uri.slice(bucketEnd)}`;
      for (const bad of [
        `http://example.com/${key}`,
        `ftp${uri.slice(uri.indexOf('://'))}`,
        otherBucket,
        'x',
      ]) {
        expect(() => port.keyFromUri(bad), bad).toThrow(
          expect.objectContaining({ code: 'VALIDATION_FAILED' }),
        );
      }
      expect(() => port.keyFromUri(`${uri.slice(0, bucketEnd)}/not-a-derived-key`)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED' }),
      );
    });

    test('presigned URLs exactly when capabilities.presign is true', async ({ port }) => {
      const { tenant, job } = ids();
      const key = jobInputKey(tenant, job, 'upload.bin');
      if (!port.capabilities.presign) {
        await expect(port.presignGet(key, 60)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        await expect(port.presignPut(key, 60)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
        return;
      }
      const data = bytesOf(4096);
      const putUrl = await port.presignPut(key, 60, { contentType: 'application/octet-stream' });
      const put = await fetch(putUrl, {
        method: 'PUT',
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.ok).toBe(true);
      expect((await port.head(key))?.size).toBe(4096);
      const got = await fetch(await port.presignGet(key, 60));
      expect(got.ok).toBe(true);
      expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
    });

    test('abortStaleUploads resolves a count (0 when unsupported)', async ({ port }) => {
      const n = await port.abortStaleUploads(24 * 3600 * 1000);
      expect(Number.isInteger(n) && n >= 0).toBe(true);
      if (!port.capabilities.abortStaleUploads) expect(n).toBe(0);
    });
  });
}
