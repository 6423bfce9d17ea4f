/**
 * The one error type of Dalston. Every failure a caller can see carries a stable
 * UPPER_SNAKE `code` from the frozen list below, a message meant for humans, the
 * store and operation where a store was involved, and the original `cause`.
 * `toJSON()` is safe to log or return: no stack, no cause internals, no secrets.
 */
export const ERROR_CODES = Object.freeze([
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_TRANSITION',
  'RATE_LIMITED',
  'LEASE_LOST',
  'STORE_UNAVAILABLE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'TIMEOUT',
  'CANCELLED',
  'CLOSED',
  'INTERNAL',
  /** A handler's output that its stage's output schema (or storage) refuses; a task error code, not retried. */
  'INVALID_OUTPUT',
] as const);

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Which backing store an error came from. */
export type StoreName =
  | 'jobStore'
  | 'tenantStore'
  | 'apiKeyStore'
  | 'sessionArchive'
  | 'workQueue'
  | 'sessionStore'
  | 'rateLimitStore'
  | 'eventBus'
  | 'artifactStore';

export interface DalstonErrorOptions {
  store?: StoreName;
  operation?: string;
  /** For VALIDATION_FAILED: the path of the offending field, e.g. `parameters.language`. */
  field?: string;
  /** For RATE_LIMITED: how long to wait before trying again, in milliseconds. */
  retryAfterMs?: number;
  /** Extra machine-readable details; must never hold secrets. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The brand every DalstonError carries (`Symbol.for`, so it is the same symbol in every
 * copy of `@dalston/core` loaded in a process). Errors are recognised by it, never by
 * the class identity: a host whose tree holds two copies of core (an adapter resolved
 * its own, or ESM and CJS builds side by side) still sees adapter errors as DalstonErrors.
 */
const DALSTON_ERROR_BRAND = Symbol.for('dalston.error');

export class DalstonError extends Error {
  /**
   * `instanceof DalstonError` checks the brand, so it is true for a DalstonError from any
   * copy of core (subclasses keep the ordinary prototype check).
   */
  static override [Symbol.hasInstance](value: unknown): value is DalstonError {
    // biome-ignore lint/complexity/noThisInStatic: a subclass keeps the ordinary prototype check
    if (this !== DalstonError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isDalstonError(value);
  }

  override readonly name = 'DalstonError';
  readonly code: ErrorCode;
  readonly store?: StoreName;
  readonly operation?: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: DalstonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.store !== undefined) this.store = options.store;
    if (options.operation !== undefined) this.operation = options.operation;
    if (options.field !== undefined) this.field = options.field;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.details !== undefined) this.details = options.details;
  }

  /** A safe, serialisable view: no stack, no cause, nothing from a connection string. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.store) out.store = this.store;
    if (this.operation) out.operation = this.operation;
    if (this.field) out.field = this.field;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    if (this.details) out.details = this.details;
    return out;
  }
}

Object.defineProperty(DalstonError.prototype, DALSTON_ERROR_BRAND, { value: true });

/**
 * True when `e` carries the DalstonError brand and a string `code`, whichever copy of
 * `@dalston/core` created it. Never throws (false for a hostile Proxy).
 */
export function isDalstonError(e: unknown): e is DalstonError {
  try {
    return (
      typeof e === 'object' &&
      e !== null &&
      (e as Record<symbol, unknown>)[DALSTON_ERROR_BRAND] === true &&
      typeof (e as { code?: unknown }).code === 'string'
    );
  } catch {
    return false;
  }
}

export const validationFailed = (field: string, message: string, details?: Record<string, unknown>) =>
  new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { field, ...(details ? { details } : {}) });

export const notFound = (what: string, id: string) =>
  new DalstonError('NOT_FOUND', `${what} ${id} not found`);

/**
 * Wraps an unknown infrastructure failure once, at the port boundary, as STORE_UNAVAILABLE
 * naming the store and the operation. A DalstonError passes through unchanged.
 * The message never includes the cause's text (it may hold SQL or a connection string).
 */
export function storeUnavailable(store: StoreName, operation: string, cause: unknown): DalstonError {
  if (isDalstonError(cause)) return cause;
  return new DalstonError(
    'STORE_UNAVAILABLE',
    `${store}.${operation} failed: the store is unreachable or errored`,
    {
      store,
      operation,
      cause,
    },
  );
}

/**
 * Marks a STORE_UNAVAILABLE whose request reached the store before the connection was
 * lost (`details.outcomeUnknown: true`): the write may have been applied (say, a commit
 * whose answer never arrived). Adapters set it; core then leaves what the write refers to
 * in place (maintenance repairs either way). Other errors are returned unchanged.
 */
export function withOutcomeUnknown(error: DalstonError): DalstonError {
  if (error.code !== 'STORE_UNAVAILABLE' || isOutcomeUnknown(error)) return error;
  const { store, operation, retryAfterMs } = error;
  return new DalstonError(error.code, error.message, {
    ...(store !== undefined ? { store } : {}),
    ...(operation !== undefined ? { operation } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    details: { ...error.details, outcomeUnknown: true },
    cause: error.cause,
  });
}

/** True for a STORE_UNAVAILABLE whose write may have been applied (see `withOutcomeUnknown`). */
export function isOutcomeUnknown(e: unknown): boolean {
  return isDalstonError(e) && e.code === 'STORE_UNAVAILABLE' && e.details?.outcomeUnknown === true;
}

/** What a thrown value that cannot be described reads as. */
export const UNDESCRIBABLE = 'a thrown value that cannot be described';

/**
 * A message for anything thrown, that never throws itself: `String(e)` can throw (a null
 * prototype, a hostile Proxy, a `toString` that throws) and `e.message` can be a getter.
 */
export function safeMessage(e: unknown): string {
  try {
    if (e instanceof Error) {
      const message: unknown = e.message;
      return typeof message === 'string' ? message : UNDESCRIBABLE;
    }
    if (typeof e === 'object' && e !== null) {
      const message: unknown = (e as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    const text = String(e);
    return typeof text === 'string' ? text : UNDESCRIBABLE;
  } catch {
    return UNDESCRIBABLE;
  }
}

/** Coerces anything thrown into a DalstonError (INTERNAL unless it already is one). Never throws. */
export function toDalstonError(e: unknown, fallback: ErrorCode = 'INTERNAL'): DalstonError {
  if (isDalstonError(e)) return e;
  return new DalstonError(fallback, safeMessage(e), { cause: e });
}
