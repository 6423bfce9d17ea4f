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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const unstorable = (s: string) => s.includes('\u0000') || LONE_SURROGATE.test(s);

/**
 * Refuses, like the PostgreSQL adapter, a value holding a string (or a key) that no store
 * can keep as is: NUL (PostgreSQL text and jsonb refuse it) or a lone UTF-16 surrogate
 * (UTF-8 cannot encode it). VALIDATION_FAILED naming the field.
 */
export function checkStorableText(
  store: StoreName,
  operation: string,
  field: string,
  value: unknown,
  depth = 0,
): void {
  if (typeof value === 'string') {
    if (unstorable(value)) {
      throw invalid(store, operation, field, 'must not contain NUL (\\u0000) or lone UTF-16 surrogates');
    }
    return;
  }
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return;
  for (const [k, v] of Object.entries(value)) {
    if (unstorable(k))
      throw invalid(store, operation, `${field} (a key)`, 'must not contain NUL or lone surrogates');
    checkStorableText(store, operation, `${field}.${k}`, v, depth + 1);
  }
}

/** Thrown by the fast copy when a value is not plain data; `copy` then uses structuredClone. */
const NOT_PLAIN = Symbol('not plain data');
const MAX_DEPTH = 100;

function plainCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') throw NOT_PLAIN;
    return value;
  }
  if (depth > MAX_DEPTH) throw NOT_PLAIN; // deep or cyclic
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw NOT_PLAIN; // holes
      out[i] = plainCopy(value[i], depth + 1);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN; // Date, Map, Buffer, class instances
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    if (k === '__proto__') throw NOT_PLAIN; // an own "__proto__" key (JSON.parse makes them)
    out[k] = plainCopy((value as Record<string, unknown>)[k], depth + 1);
  }
  return out;
}

/**
 * Deep copy: nothing a caller holds aliases stored state. Plain data (objects, arrays,
 * primitives: everything the stores keep) is copied field by field, several times faster
 * than structuredClone; anything else (Date, Map, typed arrays, cycles) goes through
 * structuredClone, so the result is always what structuredClone would give.
 */
export function copy<T>(value: T): T {
  try {
    return plainCopy(value, 0) as T;
  } catch (e) {
    if (e === NOT_PLAIN) return structuredClone(value);
    throw e;
  }
}

/** Code-unit string order (PostgreSQL `COLLATE "C"`). */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
