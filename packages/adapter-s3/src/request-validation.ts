/**
 * Checks on caller input that S3 would otherwise reject late (or accept and mangle):
 * user metadata (S3 sends it as HTTP headers: ASCII only, 2 KB in total), content
 * type, byte ranges and presign expiry (SigV4 allows at most 7 days).
 */
import type { ByteRange, PutOptions } from '@dalston/core/adapter';
import { validationFailed } from '@dalston/core/adapter';

const METADATA_KEY = /^[a-z0-9-]{1,128}$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;
/** S3's limit on user metadata: keys plus values, in bytes. */
const METADATA_MAX_BYTES = 2048;
/** SigV4 presigned URLs live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export function validatePutOptions(options: PutOptions): void {
  if (typeof options !== 'object' || options === null)
    throw validationFailed('options', 'expected an object');
  const { contentType, metadata, contentLength } = options;
  if (contentType !== undefined) {
    if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 256) {
      throw validationFailed('contentType', 'a non-empty string of at most 256 characters');
    }
    if (!HEADER_VALUE.test(contentType)) throw validationFailed('contentType', 'printable ASCII only');
  }
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw validationFailed('contentLength', 'a non-negative integer number of bytes');
  }
  if (metadata !== undefined) validateMetadata(metadata);
}

function validateMetadata(metadata: Record<string, string>): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw validationFailed('metadata', 'expected an object of strings');
  }
  let bytes = 0;
  for (const [k, v] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(k)) throw validationFailed(`metadata.${k}`, 'keys use only [a-z0-9-]');
    if (typeof v !== 'string' || !HEADER_VALUE.test(v)) {
      throw validationFailed(`metadata.${k}`, 'values are printable ASCII strings');
    }
    bytes += k.length + v.length;
  }
  if (bytes > METADATA_MAX_BYTES)
    throw validationFailed('metadata', `at most ${METADATA_MAX_BYTES} bytes in total`);
}

/** The HTTP Range header for a validated range. */
export function validateRange(range: ByteRange): string {
  if (typeof range !== 'object' || range === null)
    throw validationFailed('range', 'expected { start, end? }');
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0)
    throw validationFailed('range.start', 'a non-negative integer');
  if (end === undefined) return `bytes=${start}-`;
  if (!Number.isSafeInteger(end) || end < start) {
    throw validationFailed('range.end', 'an integer not smaller than range.start');
  }
  return `bytes=${start}-${end}`;
}

export function validateExpiry(expiresInSeconds: number): number {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
    throw validationFailed('expiresInSeconds', `an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
  }
  return expiresInSeconds;
}
