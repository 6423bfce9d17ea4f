import type { DalstonError } from '@dalston/core';

/** A service's answer (neverthrow's ResultAsync), seen through the one method used here. */
interface AsyncResult<T> {
  match<A, B = A>(ok: (value: T) => A, err: (error: DalstonError) => B): Promise<A | B>;
}

/** The value of a service result, or its DalstonError thrown (mapped to an exit code by `run`). */
export function unwrap<T>(result: AsyncResult<T>): Promise<T> {
  return result.match(
    (value) => value,
    (error): never => {
      throw error;
    },
  );
}
