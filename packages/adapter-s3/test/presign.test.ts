/**
 * Presigned URLs used by a plain HTTP client (fetch). s3rver checks the expiry of SigV4
 * query signatures (X-Amz-Date + X-Amz-Expires) but not the signature itself, so what is
 * proven here: round trips, expiry, and the shape of the URL; not signature tampering.
 */
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type S3Adapters, s3Adapters } from '@dalston/adapter-s3';
import { guardPortNamed } from '@dalston/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, startS3Server } from '../../../test-support/s3.js';
import { expectCode } from './expect-code.js';
import { jobKey, rand, storeOn } from './support.js';

let server: S3Server;
let adapters: S3Adapters;
const prefix = `presign-${rand()}/`;

beforeAll(async () => {
  server = await startS3Server();
  adapters = storeOn(server, prefix);
});
afterAll(async () => {
  await adapters?.close();
  await server?.stop();
});

/** The store behind core's port guard, as an engine uses it (argument checks are core's). */
const store = () => guardPortNamed('artifactStore', adapters.artifactStore);

describe('presigned URLs', () => {
  it('PUT through fetch, then GET through fetch, round-trips the bytes', async () => {
    const key = jobKey('upload.wav');
    const bytes = randomBytes(64 * 1024);
    const putUrl = await store().presignPut(key, 300, { contentType: 'audio/wav' });
    const put = await fetch(putUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'audio/wav' } });
    expect(put.status).toBe(200);

    const info = await store().head(key);
    expect(info).toMatchObject({ size: bytes.length, contentType: 'audio/wav' });
    const raw = await server.client.send(new HeadObjectCommand({ Bucket: server.bucket, Key: prefix + key }));
    expect(raw.ContentLength).toBe(bytes.length);

    const get = await fetch(await store().presignGet(key, 300));
    expect(get.status).toBe(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('signs what it should: expiry, date, content type; no empty-body checksum', async () => {
    const key = jobKey();
    const before = Date.now();
    const url = new URL(await store().presignPut(key, 120, { contentType: 'text/plain' }));
    expect(url.pathname).toBe(`/${server.bucket}/${prefix}${key}`);
    const q = url.searchParams;
    expect(q.get('X-Amz-Expires')).toBe('120');
    expect(q.get('X-Amz-SignedHeaders')?.split(';')).toEqual(
      expect.arrayContaining(['host', 'content-type']),
    );
    const signedAt = Date.parse(
      (q.get('X-Amz-Date') ?? '').replace(
        /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
        '$1-$2-$3T$4:$5:$6Z',
      ),
    );
    expect(Math.abs(signedAt - before)).toBeLessThan(5_000);
    for (const name of q.keys()) expect(name.toLowerCase()).not.toMatch(/checksum/);
    expect(q.get('X-Amz-Credential')?.startsWith(`${server.credentials.accessKeyId}/`)).toBe(true);
  });

  it('refuses an expired URL (s3rver checks X-Amz-Date + X-Amz-Expires)', async () => {
    const key = jobKey();
    await store().put(key, 'secret');
    const url = await store().presignGet(key, 1);
    const deadline = Date.now() + 5_000;
    let last: Response | undefined;
    while (Date.now() < deadline) {
      last = await fetch(url);
      if (last.status !== 200) break;
      await last.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last?.status).toBe(403);
    expect(await last?.text()).toContain('Request has expired');
  });

  it('validates expiry and keys', async () => {
    for (const s of [0, -1, 1.5, 7 * 24 * 3600 + 1, Number.NaN]) {
      await expectCode(store().presignGet(jobKey(), s), 'VALIDATION_FAILED');
      await expectCode(store().presignPut(jobKey(), s), 'VALIDATION_FAILED');
    }
    await expectCode(store().presignGet('raw/key', 60), 'VALIDATION_FAILED');
    await expectCode(store().presignPut('tenants/t/jobs/j/input/../../x', 60), 'VALIDATION_FAILED');
  });

  it('refuses to presign when the capability is declared off', async () => {
    const noPresign = s3Adapters({
      client: server.client,
      bucket: server.bucket,
      prefix,
      capabilities: { presign: false },
    });
    expect(noPresign.artifactStore.capabilities.presign).toBe(false);
    await expectCode(noPresign.artifactStore.presignGet(jobKey(), 60), 'VALIDATION_FAILED');
    await noPresign.close();
  });
});
