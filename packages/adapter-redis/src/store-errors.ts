/**
 * One place that turns driver failures into DalstonErrors: every port method runs inside
 * `guard`, so a Redis failure surfaces as STORE_UNAVAILABLE naming the store and the
 * operation, and a DalstonError (validation, closed) passes through unchanged.
 */
import { DalstonError, type StoreName, storeUnavailable } from '@dalston/core/adapter';

export async function guard<T>(store: StoreName, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storeUnavailable(store, operation, e);
  }
}

export function invalid(store: StoreName, operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store, operation, field });
}

export function closedError(store: StoreName, operation: string): DalstonError {
  return new DalstonError('CLOSED', `${store}.${operation}: the adapter is closed`, { store, operation });
}
