/**
 * Argument checks the memory stores share, refusing what the PostgreSQL adapter refuses:
 * page sizes outside 1..1000 and text no store can keep (NUL, lone surrogates).
 */
import type { StoreName } from '@dalston/core/adapter';
import { invalid } from './store-errors.js';

/** Page sizes accepted by every list/scan method: an integer in 1..1000. */
export function checkLimit(store: StoreName, operation: string, limit: number, field = 'limit'): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid(store, operation, field, `must be an integer from 1 to 1000, got ${limit}`);
  }
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
  if (typeof value !== 'object' || value === null || depth > MAX_TEXT_DEPTH) return;
  for (const [k, v] of Object.entries(value)) {
    if (unstorable(k))
      throw invalid(store, operation, `${field} (a key)`, 'must not contain NUL or lone surrogates');
    checkStorableText(store, operation, `${field}.${k}`, v, depth + 1);
  }
}

/** Values nested deeper are not scanned (the copy refuses them as plain data anyway). */
const MAX_TEXT_DEPTH = 100;
