/**
 * ArtifactStore rules: only keys and prefixes core derives (`parseArtifactKey`,
 * `isArtifactPrefix`), put options that travel as HTTP headers on S3-like stores (so
 * every store refuses the same metadata), byte ranges, presign lifetimes. What needs the
 * stored object (a range past its end, a body that fails midway, a declared length that
 * does not match) or the store's configuration (presign support, `keyFromUri`'s bucket)
 * stays with the adapter.
 */
import { isArtifactPrefix, parseArtifactKey } from '../../domain/artifact-key.js';
import type { ArtifactStore } from '../../ports/artifact-store.js';
import { nonNegativeMs, object, optionalPageLimit, string } from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

const METADATA_KEY = /^[a-z0-9-]{1,128}$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;
/** User metadata travels as HTTP headers: keys plus values at most 2 KB (S3's limit). */
export const METADATA_MAX_BYTES = 2048;
/** Presigned URLs live at most 7 days (SigV4's limit). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

function checkKey(key: unknown): void {
  const parsed = parseArtifactKey(key);
  if (parsed.isErr()) throw argumentError('key', parsed.error.message.replace(/^key: /, ''));
}

function checkPrefix(prefix: unknown): void {
  if (!isArtifactPrefix(prefix)) {
    throw argumentError('prefix', 'not an artifact prefix derived by core (tenants/{tenantId}/...)');
  }
}

function checkContentType(contentType: unknown): void {
  if (contentType === undefined) return;
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 256) {
    throw argumentError('contentType', 'must be a non-empty string of at most 256 characters');
  }
  if (!HEADER_VALUE.test(contentType)) throw argumentError('contentType', 'must be printable ASCII');
}

function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  object(metadata, 'metadata', 'an object of strings');
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(k)) throw argumentError(`metadata.${k}`, 'keys use only [a-z0-9-]');
    if (typeof v !== 'string' || !HEADER_VALUE.test(v)) {
      throw argumentError(`metadata.${k}`, 'values must be printable ASCII strings');
    }
    bytes += k.length + v.length;
  }
  if (bytes > METADATA_MAX_BYTES)
    throw argumentError('metadata', `at most ${METADATA_MAX_BYTES} bytes in total`);
}

function checkPut(options: unknown): void {
  if (options === undefined) return;
  object(options, 'options', 'put options { contentType?, metadata?, contentLength?, signal? }');
  checkContentType(options.contentType);
  const length = options.contentLength;
  if (length !== undefined && (!Number.isSafeInteger(length) || (length as number) < 0)) {
    throw argumentError('contentLength', 'must be a non-negative integer number of bytes');
  }
  checkMetadata(options.metadata);
}

function checkBody(body: unknown): void {
  if (typeof body === 'string' || body instanceof Uint8Array) return;
  const pipeable = typeof body === 'object' && body !== null;
  if (
    pipeable &&
    (typeof (body as { pipe?: unknown }).pipe === 'function' ||
      typeof (body as { getReader?: unknown }).getReader === 'function')
  )
    return;
  throw argumentError('body', 'must be a Uint8Array, a string, a Node Readable or a web ReadableStream');
}

function checkRange(options: unknown): void {
  if (options === undefined) return;
  object(options, 'options', '{ range? }');
  const range = options.range;
  if (range === undefined) return;
  object(range, 'range', '{ start, end? }');
  if (!Number.isSafeInteger(range.start) || (range.start as number) < 0) {
    throw argumentError('range.start', 'must be an integer >= 0');
  }
  if (
    range.end !== undefined &&
    (!Number.isSafeInteger(range.end) || (range.end as number) < (range.start as number))
  ) {
    throw argumentError('range.end', 'must be an integer >= range.start');
  }
}

function checkExpiry(seconds: unknown): void {
  if (!Number.isInteger(seconds) || (seconds as number) < 1 || (seconds as number) > MAX_PRESIGN_SECONDS) {
    throw argumentError('expiresInSeconds', `must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
  }
}

export const artifactStoreRules: PortRules<ArtifactStore> = {
  put: {
    check: ([key, body, options]) => {
      checkKey(key);
      checkBody(body);
      checkPut(options);
    },
  },
  get: {
    check: ([key, options]) => {
      checkKey(key);
      checkRange(options);
    },
  },
  head: { check: ([key]) => checkKey(key) },
  delete: { check: ([key]) => checkKey(key) },
  deletePrefix: { check: ([prefix]) => checkPrefix(prefix) },
  list: {
    check: ([prefix, options]) => {
      checkPrefix(prefix);
      if (options === undefined) return;
      object(options, 'options', '{ limit?, cursor? }');
      optionalPageLimit(options.limit);
      if (options.cursor != null) string(options.cursor, 'cursor');
    },
  },
  presignGet: {
    check: ([key, expiresInSeconds]) => {
      checkKey(key);
      checkExpiry(expiresInSeconds);
    },
  },
  presignPut: {
    check: ([key, expiresInSeconds, options]) => {
      checkKey(key);
      checkExpiry(expiresInSeconds);
      if (options === undefined) return;
      object(options, 'options', '{ contentType? }');
      checkContentType(options.contentType);
    },
  },
  abortStaleUploads: { check: ([olderThanMs]) => nonNegativeMs(olderThanMs, 'olderThanMs') },
  uriFor: { check: ([key]) => checkKey(key), sync: true },
  keyFromUri: { check: ([uri]) => string(uri, 'uri'), sync: true },
  ping: {},
  close: {},
};
