/**
 * `copy`: the deep copy the memory stores make of everything going in and out, so
 * nothing a caller holds aliases stored state.
 */

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
