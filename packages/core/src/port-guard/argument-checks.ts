/**
 * The argument rules the port guards share, each written once. Cheap where the engine
 * calls a port on its hot path (no allocation unless a check fails); zod schemas from
 * `domain/schemas.ts` where a whole record crosses (and to word a failure).
 */
import type { z } from 'zod';
import { isStorableText, PAGE_LIMIT_MAX, PAGE_LIMIT_RULE, UNSTORABLE_TEXT } from '../domain/schemas.js';
import { argumentError } from './guard-port.js';

/** A number for a message, never throwing (a hostile value prints as its type). */
const shown = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v);

/** Page sizes of every listing and scan: an integer from 1 to 1000 (`PAGE_LIMIT_MAX`). */
export function pageLimit(v: unknown, field = 'limit'): void {
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > PAGE_LIMIT_MAX) {
    throw argumentError(field, `${PAGE_LIMIT_RULE}, got ${shown(v)}`);
  }
}

/** The same, when the limit may be omitted. */
export function optionalPageLimit(v: unknown, field = 'limit'): void {
  if (v !== undefined) pageLimit(v, field);
}

export function nonEmptyString(v: unknown, field: string): void {
  if (typeof v !== 'string' || v.length === 0) throw argumentError(field, 'must be a non-empty string');
}

export function string(v: unknown, field: string): void {
  if (typeof v !== 'string') throw argumentError(field, 'must be a string');
}

/** An integer >= 1 (counts, limits, milliseconds of a TTL or lease). */
export function positiveInt(v: unknown, field: string): void {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw argumentError(field, 'must be an integer >= 1');
}

/** An integer >= 0 (milliseconds of a grace or interval, offsets). */
export function nonNegativeInt(v: unknown, field: string): void {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw argumentError(field, 'must be an integer >= 0');
}

/** A duration in milliseconds >= 0, fractions allowed (waits, delays). */
export function nonNegativeMs(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw argumentError(field, 'must be a number of milliseconds >= 0');
  }
}

/** A duration in milliseconds > 0. */
export function positiveMs(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw argumentError(field, 'must be a positive number of milliseconds');
  }
}

/** An instant: finite epoch milliseconds. */
export function epochMs(v: unknown, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw argumentError(field, 'must be epoch milliseconds');
}

export function integer(v: unknown, field: string): void {
  if (!Number.isSafeInteger(v)) throw argumentError(field, 'must be an integer');
}

export function array(v: unknown, field: string, what: string): asserts v is unknown[] {
  if (!Array.isArray(v)) throw argumentError(field, `must be an array of ${what}`);
}

export function object(v: unknown, field: string, what: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw argumentError(field, `must be ${what}`);
}

/** Values nested deeper are not scanned (no store keeps them: the JSON rules refuse them). */
const MAX_TEXT_DEPTH = 100;

/**
 * Refuses a value holding a string or key no store can keep as is (NUL, lone UTF-16
 * surrogates; see `isStorableText`), naming the path of the first one.
 */
export function storableText(v: unknown, field: string, depth = 0): void {
  if (typeof v === 'string') {
    if (!isStorableText(v)) throw argumentError(field, UNSTORABLE_TEXT);
    return;
  }
  if (typeof v !== 'object' || v === null || depth > MAX_TEXT_DEPTH) return;
  for (const [k, item] of Object.entries(v)) {
    if (!isStorableText(k)) throw argumentError(`${field} (a key)`, UNSTORABLE_TEXT);
    storableText(item, `${field}.${k}`, depth + 1);
  }
}

/** Parses `v` with a zod schema; the first issue becomes the error, its path joined to `field`. */
export function matches(schema: z.ZodType, v: unknown, field: string): void {
  const parsed = schema.safeParse(v);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map(String);
  throw argumentError([field, ...path].join('.'), issue?.message ?? 'is invalid');
}
