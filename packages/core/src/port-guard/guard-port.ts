/**
 * The one guard around a port: checks the arguments that cross into it and reports every
 * failure the same way, whichever adapter sits behind it.
 *
 * - A method's `check` throws `argumentError(field, message)`; the guard rejects with
 *   VALIDATION_FAILED naming the store, the operation and the field, and the adapter is
 *   never called. Adapters behind the guard trust their arguments.
 * - A DalstonError from the adapter (NOT_FOUND, CONFLICT, CLOSED, an adapter-specific
 *   VALIDATION_FAILED) passes through; anything else becomes STORE_UNAVAILABLE naming the
 *   store and the operation (the original stays in `cause`).
 * - What a caller-supplied callback throws (the `decide` of `updateJob`, the pass of
 *   `exclusive`) passes through unchanged: it is the caller's failure, not the store's.
 *
 * Rules are data: one entry per port method (`PortRules<P>` lists every method, so a new
 * port method does not compile until it has its entry). The wrapper calls the adapter with
 * `this` = the adapter, reads other properties (`capabilities`) through, and wraps a port
 * only once (`guardPort` of a guarded port returns it).
 */
import { DalstonError, isDalstonError, type StoreName, storeUnavailable } from '../domain/errors.js';

/** Throws `argumentError(...)` for a bad argument; returns normally when all are fine. */
export type ArgumentCheck = (args: readonly unknown[]) => void;

export interface MethodRule {
  /** Validates the arguments before the adapter runs. Omitted: nothing to check. */
  readonly check?: ArgumentCheck;
  /** The method returns a value, not a promise (`uriFor`, `keyFromUri`): errors are thrown. */
  readonly sync?: true;
  /** Position of a callback argument whose throws pass through unchanged. */
  readonly callback?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: matches any method signature
type AnyMethod = (...args: any[]) => unknown;
/** The names of `P`'s methods (optional ones included). */
export type MethodNames<P> = {
  [K in keyof P]-?: NonNullable<P[K]> extends AnyMethod ? K : never;
}[keyof P] &
  string;
/** One rule per method of port `P`; `ping` and `close` included. */
export type PortRules<P> = { readonly [K in MethodNames<P>]: MethodRule };

/** A bad argument, thrown by checks; the guard adds the store and operation. */
export class ArgumentError {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

export const argumentError = (field: string, message: string): ArgumentError =>
  new ArgumentError(field, message);

const GUARDED = Symbol.for('dalston.port-guard');

/** True when `port` is already behind the guard. */
export const isGuarded = (port: unknown): boolean =>
  typeof port === 'object' && port !== null && (port as Record<symbol, unknown>)[GUARDED] === true;

/**
 * Wraps `port` once in the guard described by `rules` (see the module comment). The wrapper
 * is a plain object, not a Proxy: every method of the rules is an own property built once
 * (a call costs one closure, not a trap and a lookup), and every other property of the
 * port (`capabilities`, …) reads through to the port.
 */
export function guardPort<P extends object>(store: StoreName, port: P, rules: PortRules<P>): P {
  if (isGuarded(port)) return port;
  const target = port as Record<string, unknown>;
  const guarded: Record<PropertyKey, unknown> = { [GUARDED]: true };
  const table = rules as Readonly<Record<string, MethodRule | undefined>>;
  for (const name of propertyNames(port)) {
    const value = target[name];
    if (typeof value === 'function') {
      const rule = Object.hasOwn(table, name) ? (table[name] ?? {}) : {};
      // The method is read from the port at each call (a port may swap its methods: test doubles do).
      guarded[name] = guardMethod(store, name, port, () => target[name] as AnyMethod, rule);
    } else {
      Object.defineProperty(guarded, name, { enumerable: true, get: () => target[name] });
    }
  }
  return guarded as P;
}

/** The port's own and inherited property names, up to (not including) Object.prototype. */
function propertyNames(port: object): Set<string> {
  const names = new Set<string>();
  for (let o: object | null = port; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return names;
}

function guardMethod(
  store: StoreName,
  operation: string,
  target: object,
  method: () => AnyMethod,
  rule: MethodRule,
) {
  const { check, sync, callback } = rule;
  const fail = (e: unknown, fromCallback: CallbackErrors | null): DalstonError | unknown => {
    if (fromCallback?.has(e)) return e;
    if (e instanceof ArgumentError) return invalidArgument(store, operation, e);
    return isDalstonError(e) ? e : storeUnavailable(store, operation, e);
  };
  if (sync) {
    return (...args: unknown[]) => {
      try {
        check?.(args);
        return method().apply(target, args);
      } catch (e) {
        throw fail(e, null);
      }
    };
  }
  return (...args: unknown[]) => {
    let fromCallback: CallbackErrors | null = null;
    try {
      check?.(args);
      if (callback !== undefined && typeof args[callback] === 'function') {
        fromCallback = new CallbackErrors();
        args[callback] = fromCallback.watch(args[callback] as AnyMethod);
      }
      return (method().apply(target, args) as Promise<unknown>).then(undefined, (e: unknown) => {
        throw fail(e, fromCallback);
      });
    } catch (e) {
      return Promise.reject(fail(e, fromCallback));
    }
  };
}

/** Remembers what a caller's callback threw, so the guard hands it back unchanged. */
class CallbackErrors {
  private thrown: unknown[] = [];

  has(e: unknown): boolean {
    return this.thrown.includes(e);
  }

  watch(cb: AnyMethod): AnyMethod {
    const record = (e: unknown) => {
      this.thrown.push(e);
      throw e;
    };
    return function (this: unknown, ...args: unknown[]) {
      try {
        const out = cb.apply(this, args);
        return isThenable(out) ? out.then(undefined, record) : out;
      } catch (e) {
        return record(e);
      }
    };
  }
}

const isThenable = (v: unknown): v is Promise<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

function invalidArgument(store: StoreName, operation: string, e: ArgumentError): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `${e.field}: ${e.message}`, {
    store,
    operation,
    field: e.field,
  });
}
