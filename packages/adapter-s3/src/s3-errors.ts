/**
 * The one place where S3 SDK failures become DalstonErrors. Messages are built here from
 * the operation and key only: never from the SDK's message, which may echo request details.
 */
import { DalstonError, isDalstonError, storeUnavailable } from '@dalston/core/adapter';

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

const shape = (e: unknown): SdkErrorShape =>
  typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {};

/** HTTP status of an SDK error, when the server answered. */
export function httpStatusOf(e: unknown): number | undefined {
  const s = shape(e);
  return s.$metadata?.httpStatusCode ?? s.$response?.statusCode;
}

/** S3 error code (`NoSuchKey`, `InvalidRange`, ...) or the SDK error name. */
export function s3CodeOf(e: unknown): string | undefined {
  const s = shape(e);
  return s.Code ?? s.name;
}

export function isNotFound(e: unknown): boolean {
  const code = s3CodeOf(e);
  return code === 'NoSuchKey' || code === 'NotFound' || (httpStatusOf(e) === 404 && code !== 'NoSuchBucket');
}

/** The server does not implement the operation (s3rver: 405/501). */
export function isNotImplemented(e: unknown): boolean {
  const status = httpStatusOf(e);
  const code = s3CodeOf(e);
  return status === 501 || status === 405 || code === 'NotImplemented' || code === 'MethodNotAllowed';
}

export function isAbortError(e: unknown): boolean {
  const name = shape(e).name;
  return name === 'AbortError' || (isDalstonError(e) && e.code === 'CANCELLED');
}

/**
 * Maps any failure of `operation` to a DalstonError: a DalstonError passes through,
 * a missing object is NOT_FOUND (when `key` is given), an unsatisfiable range is
 * VALIDATION_FAILED, an abort is CANCELLED, everything else STORE_UNAVAILABLE.
 */
export function toArtifactError(operation: string, e: unknown, key?: string): DalstonError {
  if (isDalstonError(e)) return e;
  if (key !== undefined && isNotFound(e)) {
    return new DalstonError('NOT_FOUND', `artifact ${key} not found`, {
      store: 'artifactStore',
      operation,
      cause: e,
    });
  }
  if (httpStatusOf(e) === 416 || s3CodeOf(e) === 'InvalidRange') {
    return new DalstonError('VALIDATION_FAILED', 'range: not satisfiable for this object', {
      field: 'range',
      store: 'artifactStore',
      operation,
      cause: e,
    });
  }
  if (isAbortError(e)) return cancelled(operation, e);
  return storeUnavailable('artifactStore', operation, e);
}

export function cancelled(operation: string, cause?: unknown): DalstonError {
  return new DalstonError('CANCELLED', `artifactStore.${operation} was aborted`, {
    store: 'artifactStore',
    operation,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function closed(operation: string): DalstonError {
  return new DalstonError('CLOSED', `artifactStore.${operation}: the store is closed`, {
    store: 'artifactStore',
    operation,
  });
}
