/**
 * The outermost boundary of every public service: a method that returns a ResultAsync
 * returns one whatever it is given.
 *
 * - Id arguments are checked first, the same way for every adapter set: a non-string is
 *   VALIDATION_FAILED naming the parameter; a string no store can hold (empty, over 255
 *   characters, NUL, a lone surrogate) names nothing that can exist, so it reads as a miss
 *   (NOT_FOUND, or the method's empty answer) without a store round trip. PostgreSQL would
 *   otherwise refuse such a parameter where memory answers "not found".
 * - A synchronous throw (a getter or Proxy trap in the caller's input, a value whose
 *   `toString` throws) becomes VALIDATION_FAILED (`input`), unless it is a DalstonError
 *   already; a ResultAsync whose promise rejects resolves to an err (INTERNAL) instead.
 *   Services validate their own input with precise codes; this is the net under that.
 */
import { err, errAsync, okAsync, type Result, ResultAsync } from 'neverthrow';
import { type DalstonError, notFound, toDalstonError, validationFailed } from '../../domain/errors.js';
import { isStorableText } from '../../domain/schemas.js';

/** Longest id any store keeps (PostgreSQL key columns hold 255 characters). */
const ID_MAX = 255;

/**
 * What a method's arguments are, by position: `id` (a name of something stored), `string`
 * (any string), or null (checked by the service itself).
 */
export type ArgKind = { id: string } | { string: string } | null;

export interface MethodSpec {
  /** What the ids name, for NOT_FOUND (`job`, `session`…). */
  what?: string;
  args?: readonly ArgKind[];
  /** The answer for an id that cannot exist, when it is not NOT_FOUND (e.g. an empty list). */
  miss?: () => unknown;
}

const canExist = (id: string) => id.length > 0 && id.length <= ID_MAX && isStorableText(id);

/** Shown in a NOT_FOUND message: bounded, with control characters escaped. */
const shownId = (id: string) => JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);

/** The refusal or miss for the arguments, or null when they may go to the service. */
function checkArgs(spec: MethodSpec, args: unknown[]): ResultAsync<unknown, DalstonError> | null {
  let missing: string | null = null;
  for (const [i, kind] of (spec.args ?? []).entries()) {
    if (!kind) continue;
    const value = args[i];
    const field = 'id' in kind ? kind.id : kind.string;
    if (typeof value !== 'string') return errAsync(validationFailed(field, 'expected a string'));
    if ('id' in kind && missing === null && !canExist(value)) missing = value;
  }
  if (missing === null) return null;
  if (spec.miss) return okAsync(spec.miss());
  return errAsync(notFound(spec.what ?? 'record', shownId(missing)));
}

/** True for a neverthrow ResultAsync. */
const isResultAsync = (v: unknown): v is ResultAsync<unknown, DalstonError> => v instanceof ResultAsync;

/** One method call: arguments checked, sync throws and rejections turned into `err(DalstonError)`. */
function guardedCall(
  target: object,
  method: (...a: unknown[]) => unknown,
  spec: MethodSpec,
  args: unknown[],
) {
  let out: unknown;
  try {
    const refused = checkArgs(spec, args);
    if (refused) return refused;
    out = method.apply(target, args);
  } catch (e) {
    // Services read their arguments synchronously and do their work asynchronously, so a
    // synchronous throw comes from reading the caller's input (a getter, a Proxy trap).
    const error = toDalstonError(e);
    return errAsync(
      error.code === 'INTERNAL' && error.cause === e
        ? validationFailed('input', `could not be read: ${error.message}`)
        : error,
    );
  }
  if (!isResultAsync(out)) return out;
  const settled: Promise<Result<unknown, DalstonError>> = Promise.resolve(out).then(
    (r) => r,
    (e: unknown) => err(toDalstonError(e)),
  );
  return new ResultAsync(settled);
}

/**
 * A view of `service` whose listed methods (each returns a ResultAsync) never throw or
 * reject and check their id arguments first. They run on the service itself, so internal
 * calls are not intercepted; every other property is the service's own.
 */
export function guardService<T extends object>(service: T, methods: { [K in keyof T]?: MethodSpec }): T {
  const wrapped = new Map<PropertyKey, unknown>();
  for (const [name, spec] of Object.entries(methods) as [string, MethodSpec][]) {
    const method = (service as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    wrapped.set(name, (...args: unknown[]) =>
      guardedCall(service, method as (...a: unknown[]) => unknown, spec, args),
    );
  }
  return new Proxy(service, {
    get(target, prop, receiver) {
      return wrapped.has(prop) ? wrapped.get(prop) : Reflect.get(target, prop, receiver);
    },
  });
}
