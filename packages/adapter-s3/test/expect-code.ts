import type { ErrorCode } from '@dalston/core/adapter';
import { expect } from 'vitest';

/** Asserts that `promise` rejects with a DalstonError of `code`; returns the error. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { name?: string; code?: string; message?: string },
  );
  expect(error, `expected a DalstonError ${code}`).toBeDefined();
  expect({ name: error?.name, code: error?.code }).toEqual({ name: 'DalstonError', code });
  return error!;
}
