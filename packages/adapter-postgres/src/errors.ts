/**
 * Maps whatever `pg` throws to a DalstonError, once, at the port boundary:
 * unique violations → CONFLICT; data the database refuses (check, not-null, foreign key,
 * bad encoding, oversized index rows) → VALIDATION_FAILED; everything else (connection
 * refused or reset, server shutdown, terminated backends, pool errors) → STORE_UNAVAILABLE.
 * Messages are written here, never copied from the driver, so no SQL text or
 * connection string can leak; the original error stays in `cause`.
 */
import { DalstonError, isDalstonError, type StoreName, storeUnavailable } from '@dalston/core/adapter';

interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
  column?: unknown;
}

const sqlState = (e: unknown): string | null => {
  const code = (e as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
};

/** Names a constraint or column may contribute to a message: plain identifiers only. */
const safeName = (v: unknown): string | null =>
  typeof v === 'string' && /^[A-Za-z0-9_]{1,63}$/.test(v) ? v : null;

const VALIDATION_STATES = new Set(['23502', '23503', '23514', '54000']);

export function toStoreError(store: StoreName, operation: string, error: unknown): DalstonError {
  if (isDalstonError(error)) return error;
  const state = sqlState(error);
  if (state === null) return storeUnavailable(store, operation, error);
  const err = error as PgLikeError;
  const constraint = safeName(err.constraint);
  if (state === '23505') {
    return new DalstonError(
      'CONFLICT',
      `${store}.${operation}: a record with this key already exists${constraint ? ` (${constraint})` : ''}`,
      { store, operation, cause: error, ...(constraint ? { details: { constraint } } : {}) },
    );
  }
  if (VALIDATION_STATES.has(state) || state.startsWith('22')) {
    const field = safeName(err.column) ?? constraint ?? 'input';
    // The message is client-facing: the store, operation and SQLSTATE stay in the fields.
    return new DalstonError('VALIDATION_FAILED', `${field}: the value cannot be stored`, {
      store,
      operation,
      field,
      cause: error,
      details: { sqlState: state },
    });
  }
  return storeUnavailable(store, operation, error);
}

/** An argument the adapter refuses before talking to the database. */
export function invalid(store: StoreName, operation: string, field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store, operation, field });
}

export function closedError(store: StoreName, operation: string): DalstonError {
  return new DalstonError('CLOSED', `${store}.${operation}: the store is closed`, { store, operation });
}
