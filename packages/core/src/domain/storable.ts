/**
 * Values from handlers, made safe to store on every adapter set. PostgreSQL refuses text
 * with NUL (U+0000) or a lone UTF-16 surrogate, in a column or inside jsonb; memory keeps
 * them. Core normalises or refuses such values before any store sees them, so both sets
 * give the same answer: free text (error messages, codes) is sanitised, data (outputs,
 * progress) is refused with a message naming where the problem is. Nothing here trusts a
 * value it reads: getters, Proxies and exotic prototypes are read once, inside try/catch.
 */
import { err, ok, type Result } from 'neverthrow';
import type { JsonValue } from './json.js';
import { MAX_JSON_DEPTH } from './schemas.js';

// NUL, or a high surrogate not followed by a low one, or a low one not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this finds.
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

/** What in `s` cannot be stored, or null: "NUL (U+0000)" or "a lone surrogate". */
export function unstorableTextProblem(s: string): string | null {
  UNSTORABLE_TEXT.lastIndex = 0;
  const m = UNSTORABLE_TEXT.exec(s);
  UNSTORABLE_TEXT.lastIndex = 0;
  if (!m) return null;
  return m[0] === '\u0000' ? 'NUL (U+0000)' : 'a lone surrogate';
}

/**
 * `s` cut to at most `maxLength` code units (never splitting a surrogate pair) with NUL and
 * lone surrogates replaced by U+FFFD: storable on every adapter set.
 */
export function storableText(s: string, maxLength = 2000): string {
  let cut = s.length > maxLength ? s.slice(0, maxLength) : s;
  if (cut.length < s.length && /[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.replace(UNSTORABLE_TEXT, REPLACEMENT);
}

const UNREADABLE = 'a thrown value that could not be read';

/**
 * A message for anything thrown, that cannot throw: an Error's (or error-like object's)
 * `message` when it is a string, a primitive's text, else a description of the value.
 * Never calls `String()` on an object (its `toString` or `Symbol.toPrimitive` may throw).
 * The result is storable text (see `storableText`).
 */
export function describeThrown(e: unknown, maxLength = 2000): string {
  try {
    if (typeof e === 'string') return storableText(e, maxLength);
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) {
      return storableText(`non-error value thrown: ${String(e)}`, maxLength);
    }
    const message: unknown = (e as { message?: unknown }).message;
    if (typeof message === 'string') return storableText(message, maxLength);
    return Array.isArray(e) ? 'an array was thrown' : 'a non-error object was thrown';
  } catch {
    return UNREADABLE;
  }
}

/** Reads `key` of `e` (a getter or Proxy trap may throw: undefined then). */
export function readProperty(e: unknown, key: string): unknown {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return undefined;
  try {
    return (e as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

const isPlainPrototype = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * A storable copy of `value`, or why it is not storable (naming the path, e.g.
 * `output.items[2].name contains NUL (U+0000)`). JSON only: null, booleans, finite
 * numbers, strings and keys without NUL or lone surrogates, arrays and plain objects,
 * depth <= MAX_JSON_DEPTH. The copy is read once, so a Proxy or getter cannot hand the
 * store something other than what was checked; anything that throws while being read
 * is refused.
 */
export function toStorableJson(value: unknown, path = 'value'): Result<JsonValue, string> {
  try {
    return copyJson(value, path, 0);
  } catch {
    return err(`${path} could not be read (a getter or Proxy trap threw)`);
  }
}

function copyJson(v: unknown, path: string, depth: number): Result<JsonValue, string> {
  if (v === null || typeof v === 'boolean') return ok(v);
  if (typeof v === 'number') return Number.isFinite(v) ? ok(v) : err(`${path} is not a finite number`);
  if (typeof v === 'string') {
    const problem = unstorableTextProblem(v);
    return problem ? err(`${path} contains ${problem}`) : ok(v);
  }
  if (typeof v !== 'object') return err(`${path} is a ${typeof v}, not JSON`);
  if (depth >= MAX_JSON_DEPTH) return err(`${path} is nested deeper than ${MAX_JSON_DEPTH}`);
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < v.length; i++) {
      const item = copyJson(v[i], `${path}[${i}]`, depth + 1);
      if (item.isErr()) return item;
      out.push(item.value);
    }
    return ok(out);
  }
  if (!isPlainPrototype(v)) return err(`${path} is not a plain object`);
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(v)) {
    const problem = unstorableTextProblem(key);
    if (problem) return err(`${path} has a key that contains ${problem}`);
    const item = copyJson((v as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (item.isErr()) return item;
    out[key] = item.value;
  }
  return ok(out);
}
