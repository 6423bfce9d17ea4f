/**
 * One place that turns driver failures into DalstonErrors: every port method runs inside
 * `guard`, so a Redis failure surfaces as STORE_UNAVAILABLE naming the store and the
 * operation, and a DalstonError (closed) passes through unchanged. Arguments are not
 * checked here: core's port guard checked them before any method runs.
 */
import { DalstonError, type StoreName, storeUnavailable } from '@dalston/core/adapter';

export async function guard<T>(store: StoreName, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storeUnavailable(store, operation, e);
  }
}

export function closedError(store: StoreName, operation: string): DalstonError {
  return new DalstonError('CLOSED', `${store}.${operation}: the adapter is closed`, { store, operation });
}
