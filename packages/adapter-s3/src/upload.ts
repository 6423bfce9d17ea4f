/**
 * Writing one object from any ArtifactBody with bounded memory.
 *
 * The body is read through a counting Transform. Up to one part (`partSizeBytes`) is read
 * ahead: a body that ends within it is sent with one PutObject (cancellable through the
 * SDK's abortSignal); a longer one goes to `@aws-sdk/lib-storage`'s Upload as a stream,
 * which holds at most `queueSize` parts in flight plus the one being filled.
 *
 * Aborts and failures: the signal destroys the counting stream, so the Upload's reader
 * fails, its uploaders drain, CompleteMultipartUpload is never sent (nothing becomes
 * visible) and AbortMultipartUpload is sent (`leavePartsOnError: false`). When the server
 * cannot abort (s3rver answers 405), that secondary error is ignored and the root cause
 * (source failure, abort, or the first server error) is what the caller sees.
 */
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ArtifactBody } from '@dalston/core/adapter';
import { DalstonError, isDalstonError, validationFailed } from '@dalston/core/adapter';
import { cancelled } from './s3-errors.js';

export interface UploadRequest {
  client: S3Client;
  bucket: string;
  /** The full object key (adapter prefix included). */
  objectKey: string;
  partSizeBytes: number;
  queueSize: number;
  contentType?: string;
  metadata?: Record<string, string>;
  contentLength?: number;
  signal?: AbortSignal;
}

export interface UploadOutcome {
  size: number;
  etag: string;
}

/** Slice size when a large in-memory body is turned into a stream (no copies). */
const SLICE_BYTES = 1024 * 1024;

export async function uploadBody(req: UploadRequest, body: ArtifactBody): Promise<UploadOutcome> {
  if (req.signal?.aborted) throw cancelled('put', req.signal.reason);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes instanceof Uint8Array) {
    checkLength(req, bytes.byteLength);
    if (bytes.byteLength <= req.partSizeBytes) return putSingle(req, bytes);
    return uploadStream(req, Readable.from(slices(bytes), { objectMode: false }));
  }
  return uploadStream(req, toNodeReadable(bytes));
}

function toNodeReadable(body: Readable | ReadableStream<Uint8Array>): Readable {
  if (body instanceof Readable) return body;
  if (typeof (body as ReadableStream).getReader === 'function') {
    return Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  throw validationFailed('body', 'expected a Uint8Array, a string, a Node Readable or a web ReadableStream');
}

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += SLICE_BYTES) yield bytes.subarray(at, at + SLICE_BYTES);
}

function checkLength(req: UploadRequest, actual: number): void {
  if (req.contentLength !== undefined && req.contentLength !== actual) {
    throw validationFailed('contentLength', `declared ${req.contentLength} bytes but the body has ${actual}`);
  }
}

async function putSingle(req: UploadRequest, bytes: Uint8Array): Promise<UploadOutcome> {
  const out = await req.client.send(
    new PutObjectCommand({
      Bucket: req.bucket,
      Key: req.objectKey,
      Body: bytes,
      ContentLength: bytes.byteLength,
      ...(req.contentType ? { ContentType: req.contentType } : {}),
      ...(req.metadata ? { Metadata: req.metadata } : {}),
    }),
    req.signal ? { abortSignal: req.signal } : {},
  );
  return { size: bytes.byteLength, etag: unquote(out.ETag) };
}

class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.byteLength;
    cb(null, chunk);
  }
}

async function uploadStream(req: UploadRequest, source: Readable): Promise<UploadOutcome> {
  const counter = new ByteCounter();
  let rootCause: unknown;
  // Only the source's own errors are the caller's fault; teardown by the reader is not.
  source.on('error', (e) => {
    rootCause ??= sourceFailed(e);
    counter.destroy(e);
  });
  counter.once('close', () => {
    if (!source.readableEnded && !source.destroyed) source.destroy();
  });
  source.pipe(counter);
  const onAbort = () => {
    rootCause ??= cancelled('put', req.signal?.reason);
    counter.destroy(rootCause as Error);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const chunks = counter[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    const head = await readHead(chunks, req.partSizeBytes);
    if (head.done) {
      const bytes = Buffer.concat(head.chunks);
      checkLength(req, bytes.byteLength);
      return await putSingle(req, bytes);
    }
    const rest = resume(head.chunks, chunks, counter, req, (e) => {
      rootCause ??= e;
    });
    const etag = await putMultipart(req, Readable.from(rest, { objectMode: true, highWaterMark: 1 }));
    return { size: counter.bytes, etag };
  } catch (e) {
    throw rootCause ?? e;
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
    if (!counter.readableEnded) counter.destroy();
    if (!source.readableEnded && !source.destroyed) source.destroy();
  }
}

/** Reads until more than one part is buffered or the stream ends. */
async function readHead(chunks: AsyncIterator<Buffer>, partSize: number) {
  const head: Buffer[] = [];
  let length = 0;
  while (length <= partSize) {
    const next = await chunks.next();
    if (next.done) return { chunks: head, done: true };
    head.push(next.value);
    length += next.value.byteLength;
  }
  return { chunks: head, done: false };
}

/**
 * The head, then the rest of the counted stream. Errors of the stream itself were already
 * recorded (source failure, abort); errors thrown in at a `yield` are the Upload tearing
 * down its reader and are not a cause. A declared length that does not match fails the
 * upload before CompleteMultipartUpload.
 */
async function* resume(
  head: Buffer[],
  rest: AsyncIterator<Buffer>,
  counter: ByteCounter,
  req: UploadRequest,
  onError: (e: unknown) => void,
) {
  yield* head.splice(0);
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  try {
    checkLength(req, counter.bytes);
  } catch (e) {
    onError(e);
    throw e;
  }
}

async function putMultipart(req: UploadRequest, body: Readable): Promise<string> {
  // Also stops an Upload whose body was fully read: CompleteMultipartUpload is not sent.
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const upload = new Upload({
    abortController,
    client: req.client,
    params: {
      Bucket: req.bucket,
      Key: req.objectKey,
      Body: body,
      ...(req.contentType ? { ContentType: req.contentType } : {}),
      ...(req.metadata ? { Metadata: req.metadata } : {}),
    },
    partSize: req.partSizeBytes,
    queueSize: req.queueSize,
    leavePartsOnError: false,
  });
  // An abort that arrives once CompleteMultipartUpload is on its way cannot stop it: the
  // object is then whole and visible, and the put succeeds.
  try {
    const out = await upload.done();
    return unquote(out.ETag);
  } finally {
    req.signal?.removeEventListener('abort', onAbort);
  }
}

export function unquote(etag: string | undefined): string {
  if (!etag) return '';
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** A failure of the caller's body stream (not of the store). */
function sourceFailed(cause: unknown): DalstonError {
  if (isDalstonError(cause)) return cause;
  return new DalstonError('VALIDATION_FAILED', 'body: the source stream failed before the end', {
    field: 'body',
    store: 'artifactStore',
    operation: 'put',
    cause,
  });
}
