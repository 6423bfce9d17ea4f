/**
 * ArtifactStore on S3 and S3-compatible servers (MinIO, R2, s3rver in tests).
 * Core keys get the configured prefix; every failure goes through `toArtifactError` once.
 * Capabilities are data (`presign`, `abortStaleUploads`), set from the options.
 */

import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type {
  ArtifactBody,
  ArtifactInfo,
  ArtifactObject,
  ArtifactPage,
  ArtifactStore,
  ArtifactStoreCapabilities,
  ByteRange,
  PutOptions,
  PutResult,
} from '@dalston/core/adapter';
import { validationFailed } from '@dalston/core/adapter';
import { abortStaleUploads, deleteObjectsUnder, listObjects } from './bulk-operations.js';
import { ObjectKeys } from './object-keys.js';
import type { ResolvedS3Options } from './options.js';
import { presignGetUrl, presignPutUrl } from './presign.js';
import { closed, isNotFound, toArtifactError } from './s3-errors.js';
import { unquote, uploadBody } from './upload.js';

export class S3ArtifactStore implements ArtifactStore {
  readonly capabilities: ArtifactStoreCapabilities;
  private readonly keys: ObjectKeys;
  private closed = false;

  constructor(private readonly options: ResolvedS3Options) {
    this.capabilities = Object.freeze({ ...options.capabilities });
    this.keys = new ObjectKeys(options.bucket, options.prefix);
  }

  private get client() {
    return this.options.client;
  }

  private get bucket() {
    return this.options.bucket;
  }

  /** Runs `fn` with the store open, mapping any failure to a DalstonError for `operation`. */
  private async run<T>(operation: string, fn: () => Promise<T>, key?: string): Promise<T> {
    if (this.closed) throw closed(operation);
    try {
      return await fn();
    } catch (e) {
      throw toArtifactError(operation, e, key);
    }
  }

  put(key: string, body: ArtifactBody, options: PutOptions = {}): Promise<PutResult> {
    return this.run('put', async () => {
      const objectKey = this.keys.objectKey(key);
      const { size, etag } = await uploadBody(
        {
          client: this.client,
          bucket: this.bucket,
          objectKey,
          partSizeBytes: this.options.partSizeBytes,
          queueSize: this.options.queueSize,
          ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
          ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
          ...(options.contentLength !== undefined ? { contentLength: options.contentLength } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
        },
        body,
      );
      return { uri: this.keys.uriFor(key), key, size, etag };
    });
  }

  get(key: string, options: { range?: ByteRange } = {}): Promise<ArtifactObject> {
    return this.run(
      'get',
      async () => {
        const objectKey = this.keys.objectKey(key);
        const range = options.range === undefined ? undefined : rangeHeader(options.range);
        const out = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: objectKey, ...(range ? { Range: range } : {}) }),
        );
        const info = this.infoFrom(key, out, totalSize(out.ContentRange) ?? out.ContentLength ?? 0);
        return { info, body: mapStreamErrors(out.Body as Readable, key) };
      },
      key,
    );
  }

  head(key: string): Promise<ArtifactInfo | null> {
    return this.run('head', async () => {
      const objectKey = this.keys.objectKey(key);
      try {
        const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
        return this.infoFrom(key, out, out.ContentLength ?? 0);
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    });
  }

  delete(key: string): Promise<void> {
    return this.run('delete', async () => {
      const objectKey = this.keys.objectKey(key);
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.run('deletePrefix', () =>
      deleteObjectsUnder(this.client, this.bucket, this.keys.objectPrefix(prefix)),
    );
  }

  list(prefix: string, options: { limit?: number; cursor?: string | null } = {}): Promise<ArtifactPage> {
    return this.run('list', async () => {
      const limit = options.limit ?? 1000;
      const page = await listObjects(this.client, this.bucket, this.keys.objectPrefix(prefix), {
        limit,
        cursor: options.cursor ?? null,
      });
      const items = page.objects.map((o) => {
        const key = this.keys.coreKey(o.objectKey);
        return {
          key,
          uri: `s3://${this.bucket}/${o.objectKey}`,
          size: o.size,
          etag: o.etag,
          contentType: null,
          metadata: {},
          lastModified: o.lastModified,
        };
      });
      return { items, nextCursor: page.nextCursor };
    });
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.run('presignGet', async () => {
      this.requirePresign();
      const objectKey = this.keys.objectKey(key);
      return presignGetUrl(this.client, this.bucket, objectKey, expiresInSeconds);
    });
  }

  presignPut(key: string, expiresInSeconds: number, options: { contentType?: string } = {}): Promise<string> {
    return this.run('presignPut', async () => {
      this.requirePresign();
      const objectKey = this.keys.objectKey(key);
      return presignPutUrl(this.client, this.bucket, objectKey, expiresInSeconds, options.contentType);
    });
  }

  abortStaleUploads(olderThanMs: number): Promise<number> {
    return this.run('abortStaleUploads', async () => {
      if (!this.capabilities.abortStaleUploads) return 0;
      return abortStaleUploads(this.client, this.bucket, this.options.prefix, Date.now() - olderThanMs);
    });
  }

  uriFor(key: string): string {
    return this.keys.uriFor(key);
  }

  keyFromUri(uri: string): string {
    return this.keys.keyFromUri(uri);
  }

  ping(): Promise<void> {
    return this.run('ping', async () => {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    });
  }

  /** Idempotent. Destroys the client only when the adapter created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsClient) this.client.destroy();
  }

  private requirePresign(): void {
    if (!this.capabilities.presign) {
      throw validationFailed('presign', 'this store was configured without presigned URLs');
    }
  }

  private infoFrom(
    key: string,
    out: Pick<HeadObjectCommandOutput, 'ETag' | 'ContentType' | 'Metadata' | 'LastModified'>,
    size: number,
  ): ArtifactInfo {
    return {
      key,
      uri: this.keys.uriFor(key),
      size,
      etag: unquote(out.ETag),
      contentType: out.ContentType ?? null,
      metadata: { ...(out.Metadata ?? {}) },
      lastModified: out.LastModified?.getTime() ?? 0,
    };
  }
}

/**
 * The response body, with a failure while streaming (connection reset, server gone)
 * reported as a DalstonError like every other failure. Destroying the returned stream
 * releases the connection.
 */
function mapStreamErrors(body: Readable, key: string): Readable {
  const out = new PassThrough();
  body.on('error', (e) => out.destroy(toArtifactError('get', e, key)));
  out.on('close', () => {
    if (!body.destroyed) body.destroy();
  });
  return body.pipe(out);
}

/** The object's full size from a `Content-Range: bytes a-b/total` header. */
function totalSize(contentRange: string | undefined): number | undefined {
  const m = contentRange ? /\/(\d+)$/.exec(contentRange) : null;
  return m?.[1] ? Number(m[1]) : undefined;
}

/** The HTTP Range header of a byte range (end inclusive, like the header). */
const rangeHeader = ({ start, end }: ByteRange): string =>
  end === undefined ? `bytes=${start}-` : `bytes=${start}-${end}`;
