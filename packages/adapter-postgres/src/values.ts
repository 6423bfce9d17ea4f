/**
 * Conversions between domain values and column values, refusing what PostgreSQL itself
 * cannot hold. Arguments arrive checked by core's port guard (shapes, page sizes, text no
 * store can keep); what stays here are the limits of this store's own types, which no
 * other store shares, and the last line before a value becomes a bound parameter:
 *
 * - Times: the domain uses epoch milliseconds; columns are `timestamptz`. Writes send an
 *   ISO-8601 string built from the integer (exact, no floating point); reads select
 *   `round(extract(epoch from col) * 1000)::float8` (exact for whole milliseconds).
 *   Accepted range: years 0001..9999, whole milliseconds.
 * - Text: PostgreSQL text cannot hold NUL, jsonb strings cannot hold `\u0000`, and a lone
 *   UTF-16 surrogate would be silently replaced by U+FFFD when encoded to UTF-8. Such
 *   strings are refused with VALIDATION_FAILED naming the field, instead of being changed.
 * - Keys that are indexed (ids, stage, idempotency key, prefix) are limited to 255
 *   characters so a B-tree entry always fits.
 */
import type { StoreName } from '@dalston/core/adapter';
import { invalid } from './errors.js';

export const KEY_MAX = 255;
const MIN_MS = -62135596800000; // 0001-01-01T00:00:00.000Z
const MAX_MS = 253402300799999; // 9999-12-31T23:59:59.999Z

/** Validation context: which store and operation a refusal is reported for. */
export interface Ctx {
  store: StoreName;
  operation: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkString(ctx: Ctx, field: string, s: string): void {
  if (s.includes('\u0000')) throw invalid(ctx.store, ctx.operation, field, 'must not contain NUL (\\u0000)');
  if (LONE_SURROGATE.test(s)) {
    throw invalid(ctx.store, ctx.operation, field, 'must be well-formed UTF-16 (no lone surrogates)');
  }
}

/**
 * False when a lookup value can match no row: a string with NUL or a lone surrogate can
 * never have been stored (see `text`), so reads answer "not found" for it without a query,
 * as the memory adapters do, instead of PostgreSQL refusing the parameter (SQLSTATE 22021).
 * Other values (non-strings included) go to the query unchanged.
 */
export function canMatch(...values: unknown[]): boolean {
  return values.every((v) => typeof v !== 'string' || (!v.includes('\u0000') && !LONE_SURROGATE.test(v)));
}

/** A text column value (nullable when `nullable`). */
export function text(ctx: Ctx, field: string, v: unknown, opts: { key?: boolean; nullable?: boolean } = {}) {
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string') throw invalid(ctx.store, ctx.operation, field, 'must be a string');
  checkString(ctx, field, v);
  if (opts.key && (v.length === 0 || v.length > KEY_MAX)) {
    throw invalid(ctx.store, ctx.operation, field, `must be 1..${KEY_MAX} characters`);
  }
  return v;
}

/** A key column value (non-empty, at most KEY_MAX characters). */
export const key = (ctx: Ctx, field: string, v: unknown) => text(ctx, field, v, { key: true });

/** A JSON value for a jsonb column, as its JSON text; null stays SQL NULL when `nullable`. */
export function json(ctx: Ctx, field: string, v: unknown, nullable = false): string | null {
  if (v === null || v === undefined) {
    if (nullable) return null;
    throw invalid(ctx.store, ctx.operation, field, 'must be a JSON value');
  }
  walkJson(ctx, field, v, 0);
  return JSON.stringify(v);
}

function walkJson(ctx: Ctx, field: string, v: unknown, depth: number): void {
  if (depth > 100) throw invalid(ctx.store, ctx.operation, field, 'is nested too deeply (max 100)');
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'string') {
    checkString(ctx, field, v);
    return;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(ctx.store, ctx.operation, field, 'must hold finite numbers only');
    return;
  }
  if (Array.isArray(v)) {
    for (const [i, item] of v.entries()) walkJson(ctx, `${field}.${i}`, item, depth + 1);
    return;
  }
  if (typeof v === 'object') {
    for (const [k, item] of Object.entries(v)) {
      checkString(ctx, `${field} (a key)`, k);
      if (item !== undefined) walkJson(ctx, `${field}.${k}`, item, depth + 1);
    }
    return;
  }
  throw invalid(ctx.store, ctx.operation, field, 'must be JSON (no functions, bigints or symbols)');
}

/** Epoch ms → ISO-8601 for a timestamptz parameter. */
export function ms(ctx: Ctx, field: string, v: unknown, nullable = false): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_MS || v > MAX_MS) {
    throw invalid(ctx.store, ctx.operation, field, 'must be whole epoch milliseconds within years 1..9999');
  }
  return new Date(v).toISOString();
}

/** An integer within PostgreSQL `integer` (or `bigint` safe-integer) range. */
export function int(ctx: Ctx, field: string, v: unknown, min: number, big = false): number {
  const max = big ? Number.MAX_SAFE_INTEGER : 2147483647;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(ctx.store, ctx.operation, field, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function bool(ctx: Ctx, field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid(ctx.store, ctx.operation, field, 'must be a boolean');
  return v;
}

/** SQL select expression reading a timestamptz column as epoch ms (null stays null). */
export const msCol = (col: string, alias = col) =>
  `round(extract(epoch from ${col}) * 1000)::float8 AS ${alias}`;

/** Row value → number | null (for float8 columns built by msCol). */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
