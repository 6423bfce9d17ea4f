/**
 * The errors the memory stores raise, shaped like the PostgreSQL adapter's:
 * VALIDATION_FAILED naming the field, CONFLICT on a duplicate key, CLOSED after close.
 */
import { DalstonError, type StoreName } from '@dalston/core/adapter';

export function invalid(store: StoreName, operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store, operation, field });
}

export function conflict(store: StoreName, operation: string, message: string): DalstonError {
  return new DalstonError('CONFLICT', message, { store, operation });
}

export function closedError(store: StoreName, operation: string): DalstonError {
  return new DalstonError('CLOSED', `${store}.${operation}: the store is closed`, { store, operation });
}

/** Tracks whether a port is closed; `check` throws CLOSED (with store and operation) once it is. */
export class OpenState {
  private closed = false;

  constructor(private readonly store: StoreName) {}

  check(operation: string): void {
    if (this.closed) throw closedError(this.store, operation);
  }

  close(): void {
    this.closed = true;
  }
}
