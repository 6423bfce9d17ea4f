/**
 * The `dalston` command's exit codes. Stable: scripts may branch on them.
 */
import { isDalstonError } from '@dalston/core';

export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** Anything else went wrong (an INTERNAL error, an unexpected failure). */
  FAILED: 1,
  /** Bad arguments or options, or no stores configured (VALIDATION_FAILED). */
  USAGE: 2,
  /** The job, tenant, key, queue entry or schedule does not exist (NOT_FOUND). */
  NOT_FOUND: 3,
  /** A store is unreachable, or `health` found one down (STORE_UNAVAILABLE, TIMEOUT, CLOSED). */
  UNAVAILABLE: 4,
  /** The state forbids it: cancel a finished job, retry a running one (CONFLICT, INVALID_TRANSITION). */
  CONFLICT: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<string, ExitCode> = {
  VALIDATION_FAILED: EXIT.USAGE,
  NOT_FOUND: EXIT.NOT_FOUND,
  STORE_UNAVAILABLE: EXIT.UNAVAILABLE,
  TIMEOUT: EXIT.UNAVAILABLE,
  CLOSED: EXIT.UNAVAILABLE,
  CONFLICT: EXIT.CONFLICT,
  INVALID_TRANSITION: EXIT.CONFLICT,
};

/** The exit code for a thrown value: by its DalstonError code, else FAILED. */
export function exitCodeOf(e: unknown): ExitCode {
  return isDalstonError(e) ? (BY_CODE[e.code] ?? EXIT.FAILED) : EXIT.FAILED;
}
