/**
 * Argument checks shared by the memory stores, failing the way the PostgreSQL adapter
 * does: VALIDATION_FAILED naming the field, CONFLICT on a duplicate key, CLOSED after close.
 */
import { DalstonError, type StoreName } from '@dalston/core';

/** Page sizes accepted by every list/scan method: an integer in 1..1000. */
export function checkLimit(store: StoreName, operation: string, limit: number, field = 'limit'): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new DalstonError('VALIDATION_FAILED', `${field}: must be an integer from 1 to 1000, got ${limit}`, {
      store,
      operation,
      field,
    });
  }
}

export function invalid(store: StoreName, operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store, operation, field });
}

export function conflict(store: StoreName, operation: string, message: string): DalstonError {
  return new DalstonError('CONFLICT', message, { store, operation });
}

export function closedError(store: StoreName, operation: string): DalstonError {
  return new DalstonError('CLOSED', `${store}.${operation}: the store is closed`, { store, operation });
}

/** Deep copy: nothing a caller holds aliases stored state. */
export const copy = <T>(value: T): T => structuredClone(value);

/** Code-unit string order (PostgreSQL `COLLATE "C"`). */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
