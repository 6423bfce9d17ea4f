/**
 * How services turn promises and caller input into neverthrow results: every throw
 * becomes a DalstonError (ports already reject with one; anything else is INTERNAL),
 * and zod issues become VALIDATION_FAILED naming the field.
 */
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import type { z } from 'zod';
import { type DalstonError, toDalstonError, validationFailed } from '../../domain/errors.js';

/** Runs `fn` and captures anything it throws or rejects with as a DalstonError. */
export function attempt<T>(fn: () => Promise<T>): ResultAsync<T, DalstonError> {
  return ResultAsync.fromPromise((async () => fn())(), (e) => toDalstonError(e));
}

/** The dotted field path of a zod issue under `root` (`input.parameters.language`). */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    root,
  );
}

/** Parses caller input; VALIDATION_FAILED names the first offending field. Never throws. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  root = '',
): Result<z.output<S>, DalstonError> {
  try {
    const parsed = schema.safeParse(value);
    if (parsed.success) return ok(parsed.data);
    const issue = parsed.error.issues[0]!;
    const field = fieldPath(root, issue.path) || root || 'input';
    return err(validationFailed(field, issue.message));
  } catch {
    // A getter or Proxy trap threw while zod read the value (or described it in an issue):
    // the value cannot be read, so it is invalid.
    return err(validationFailed(root || 'input', 'could not be read (a getter or Proxy trap threw)'));
  }
}

/** `parseInput` as a ResultAsync, to start a chain. */
export const parseAsync = <S extends z.ZodType>(schema: S, value: unknown, root = '') =>
  ResultAsync.fromSafePromise(Promise.resolve()).andThen(() => parseInput(schema, value, root));
