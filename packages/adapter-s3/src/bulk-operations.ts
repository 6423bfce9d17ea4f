/**
 * Operations over many objects: deleting everything under a prefix (DeleteObjects in
 * batches of up to 1,000, falling back to one DeleteObject per key on servers that do not
 * implement it), listing a page, and aborting stale multipart uploads.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { validationFailed } from '@dalston/core/adapter';
import { httpStatusOf, isNotFound, isNotImplemented } from './s3-errors.js';
import { unquote } from './upload.js';

/** S3's limit for one DeleteObjects request and one listing page. */
export const BATCH_LIMIT = 1000;
/** Concurrent single deletes in the fallback path. */
const SINGLE_DELETE_CONCURRENCY = 16;

export interface ListedObject {
  objectKey: string;
  size: number;
  etag: string;
  lastModified: number;
}

export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  page: { limit: number; cursor: string | null },
): Promise<{ objects: ListedObject[]; nextCursor: string | null }> {
  const token = page.cursor === null ? null : decodeCursor(page.cursor, prefix);
  let out: Awaited<ReturnType<typeof sendList>>;
  try {
    out = await sendList(client, bucket, prefix, { limit: page.limit, token });
  } catch (e) {
    if (token !== null && httpStatusOf(e) === 400) throw badCursor();
    throw e;
  }
  const objects = (out.Contents ?? []).flatMap((o) =>
    o.Key === undefined
      ? []
      : [
          {
            objectKey: o.Key,
            size: o.Size ?? 0,
            etag: unquote(o.ETag),
            lastModified: o.LastModified?.getTime() ?? 0,
          },
        ],
  );
  const next = out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null;
  return { objects, nextCursor: next === null ? null : encodeCursor(next, prefix) };
}

function sendList(
  client: S3Client,
  bucket: string,
  prefix: string,
  page: { limit: number; token: string | null },
) {
  return client.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: prefix,
      MaxKeys: page.limit,
      ...(page.token !== null ? { ContinuationToken: page.token } : {}),
    }),
  );
}

/**
 * Cursors wrap S3's continuation token with the prefix it belongs to, so a garbled cursor
 * or one from another prefix is VALIDATION_FAILED here, not an opaque server error.
 */
function encodeCursor(token: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ p: prefix, t: token }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, prefix: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const c = parsed as { p?: unknown; t?: unknown } | null;
  if (typeof c !== 'object' || c === null || c.p !== prefix || typeof c.t !== 'string' || c.t === '') {
    throw badCursor();
  }
  return c.t;
}

const badCursor = () => validationFailed('cursor', 'not a cursor returned by list for this prefix');

/**
 * Deletes every object under `prefix`, page by page. Pages continue with StartAfter (the
 * last key seen), which stays valid while the listed keys are being deleted.
 * Returns how many objects were removed.
 */
export async function deleteObjectsUnder(client: S3Client, bucket: string, prefix: string): Promise<number> {
  let removed = 0;
  let startAfter: string | undefined;
  let batchDeletes = true;
  for (;;) {
    const out = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        MaxKeys: BATCH_LIMIT,
        ...(startAfter !== undefined ? { StartAfter: startAfter } : {}),
      }),
    );
    const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length > 0) {
      if (batchDeletes) {
        try {
          removed += await deleteBatch(client, bucket, keys);
        } catch (e) {
          if (!isNotImplemented(e)) throw e;
          batchDeletes = false;
        }
      }
      if (!batchDeletes) removed += await deleteEach(client, bucket, keys);
      startAfter = keys[keys.length - 1];
    }
    if (!out.IsTruncated || keys.length === 0) return removed;
  }
}

async function deleteBatch(client: S3Client, bucket: string, keys: string[]): Promise<number> {
  const out = await client.send(
    new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
    }),
  );
  const failed = out.Errors ?? [];
  if (failed.length > 0) {
    const first = failed[0];
    throw Object.assign(
      new Error(`DeleteObjects failed for ${failed.length} key(s): ${first?.Code ?? 'error'}`),
      {
        name: first?.Code ?? 'DeleteObjectsError',
      },
    );
  }
  return out.Deleted?.length ?? keys.length;
}

async function deleteEach(client: S3Client, bucket: string, keys: string[]): Promise<number> {
  let next = 0;
  let removed = 0;
  const worker = async () => {
    while (next < keys.length) {
      const Key = keys[next++];
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
        removed++;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SINGLE_DELETE_CONCURRENCY, keys.length) }, worker));
  return removed;
}

/**
 * Aborts the multipart uploads under `prefix` initiated before `cutoffMs` (epoch ms).
 * Needs ListMultipartUploads and AbortMultipartUpload (real S3, MinIO, R2; not s3rver).
 */
export async function abortStaleUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  cutoffMs: number,
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const out = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        ...(prefix ? { Prefix: prefix } : {}),
        ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
        ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
      }),
    );
    for (const u of out.Uploads ?? []) {
      if (!u.Key || !u.UploadId || !u.Initiated || u.Initiated.getTime() >= cutoffMs) continue;
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
        );
        aborted++;
      } catch (e) {
        // NoSuchUpload: completed or aborted by someone else meanwhile.
        if (!isNotFound(e)) throw e;
      }
    }
    if (!out.IsTruncated) return aborted;
    keyMarker = out.NextKeyMarker;
    uploadIdMarker = out.NextUploadIdMarker;
    if (keyMarker === undefined && uploadIdMarker === undefined) return aborted;
  }
}
