/**
 * Reads an ArtifactBody (bytes, string, Node Readable or web ReadableStream) to the end,
 * the way the S3 adapter reports problems: a source stream that fails is
 * VALIDATION_FAILED (`field: 'body'`), an abort is CANCELLED. Nothing is stored here:
 * the caller makes the object visible only once this resolves.
 */
import type { Readable } from 'node:stream';
import { type ArtifactBody, DalstonError, isDalstonError } from '@dalston/core/adapter';

interface Source {
  next(): Promise<{ done?: boolean; value?: unknown }>;
  cancel(reason: unknown): void;
}

const cancelled = (reason: unknown) =>
  new DalstonError('CANCELLED', 'artifactStore.put was aborted', {
    store: 'artifactStore',
    operation: 'put',
    cause: reason,
  });

const badBody = (message: string, cause?: unknown) =>
  new DalstonError('VALIDATION_FAILED', `body: ${message}`, {
    store: 'artifactStore',
    operation: 'put',
    field: 'body',
    ...(cause === undefined ? {} : { cause }),
  });

function isNodeReadable(body: unknown): body is Readable {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Readable).pipe === 'function' &&
    typeof (body as Readable)[Symbol.asyncIterator] === 'function'
  );
}

function isWebStream(body: unknown): body is ReadableStream<Uint8Array> {
  return (
    typeof body === 'object' && body !== null && typeof (body as ReadableStream).getReader === 'function'
  );
}

function sourceOf(body: Readable | ReadableStream<Uint8Array>): Source {
  if (isNodeReadable(body)) {
    const it = body[Symbol.asyncIterator]();
    return { next: () => it.next(), cancel: () => body.destroy() };
  }
  const reader = body.getReader();
  return {
    next: () => reader.read(),
    cancel: (reason) => {
      reader.cancel(reason).catch(() => {});
    },
  };
}

function toBuffer(chunk: unknown): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw badBody('stream chunks must be bytes or strings');
}

/** The whole body as one Buffer (a copy the caller cannot change afterwards). */
export async function readBody(body: ArtifactBody, signal?: AbortSignal): Promise<Buffer> {
  if (signal?.aborted) throw cancelled(signal.reason);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (!isNodeReadable(body) && !isWebStream(body)) {
    throw badBody('must be a Uint8Array, a string, a Node Readable or a web ReadableStream');
  }
  const source = sourceOf(body);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled(signal?.reason));
  });
  aborted.catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const r = await Promise.race([source.next(), aborted]);
      if (r.done) break;
      chunks.push(Buffer.from(toBuffer(r.value))); // copy: the producer may reuse its buffer
    }
  } catch (e) {
    source.cancel(e);
    if (isDalstonError(e)) throw e;
    throw badBody('the source stream failed before the end', e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks);
}
