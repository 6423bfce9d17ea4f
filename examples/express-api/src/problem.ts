/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Every problem
 * carries the DalstonError `code`; nothing from a stack, a cause or a store's
 * internals reaches the client.
 */
import { type DalstonError, type ErrorCode, isDalstonError, safeMessage } from '@dalston/core';
import type { Request, Response } from 'express';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  field?: string;
}

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  INVALID_OUTPUT: 500,
  RATE_LIMITED: 429,
  LEASE_LOST: 409,
  STORE_UNAVAILABLE: 503,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TIMEOUT: 504,
  CANCELLED: 409,
  CLOSED: 503,
  INTERNAL: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Messages of these codes may name stores or operations: replaced by a generic text. */
const GENERIC: Partial<Record<ErrorCode, string>> = {
  STORE_UNAVAILABLE: 'a backing store is unavailable; try again later',
  CLOSED: 'the service is shutting down; try again later',
  INTERNAL: 'an internal error occurred',
  TIMEOUT: 'the operation timed out',
};

/** Client-facing texts for errors a store adapter raised (its own wording is for logs). */
const STORE_REFUSAL: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'a value in the request cannot be stored',
  CONFLICT: 'a record with this key already exists',
  NOT_FOUND: 'not found',
};

/** An HTTP-level problem raised by the example itself (413, 415, 410…), with a Dalston code. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function toProblem(err: unknown, instance?: string): Problem {
  if (err instanceof HttpProblem) {
    return build(err.status, err.code, err.message, instance, err.field);
  }
  if (isDalstonError(err)) {
    const status = STATUS[err.code] ?? 500;
    // An error raised by a store adapter (it names its store) may word its message and field
    // after the store's internals (tables, columns, SQLSTATE): those stay in the logs.
    if (err.store !== undefined && !GENERIC[err.code]) {
      return build(
        status,
        err.code,
        STORE_REFUSAL[err.code] ?? 'the request could not be completed',
        instance,
      );
    }
    return build(status, err.code, GENERIC[err.code] ?? err.message, instance, err.field);
  }
  // A path parameter with malformed percent-encoding (`%ff`, `%C0%AF`): the router's
  // decodeURIComponent threw. The client sent a bad path, so 400, without echoing it.
  if (err instanceof URIError) {
    return build(400, 'VALIDATION_FAILED', 'path: malformed percent-encoding', instance, 'path');
  }
  // Errors from Express's body parsers carry a 4xx status and an `expose` flag.
  const e = err as { status?: number; expose?: boolean; message?: string; type?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose) {
    const detail = e.type === 'entity.parse.failed' ? 'the body is not valid JSON' : String(e.message);
    return build(e.status, e.status === 429 ? 'RATE_LIMITED' : 'VALIDATION_FAILED', detail, instance);
  }
  return build(500, 'INTERNAL', GENERIC.INTERNAL!, instance);
}

function build(status: number, code: ErrorCode, detail: string, instance?: string, field?: string): Problem {
  return {
    type: `urn:dalston:error:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(instance ? { instance } : {}),
    ...(field ? { field } : {}),
  };
}

/** Sends the problem for `err`; adds `Retry-After` for rate limits and `WWW-Authenticate` for 401. */
export function sendProblem(req: Request, res: Response, err: unknown): void {
  const problem = toProblem(err, req.originalUrl.split('?')[0]);
  if (problem.status >= 500 && !(isDalstonError(err) && err.code === 'STORE_UNAVAILABLE')) {
    req.log?.error('request failed', { error: describe(err), path: problem.instance });
  } else if (isDalstonError(err) && err.store !== undefined && problem.status < 500) {
    req.log?.warn('a store refused the request', {
      error: describe(err),
      store: err.store,
      operation: err.operation,
    });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (isDalstonError(err) && err.retryAfterMs !== undefined) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
  }
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="dalston"');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

function describe(err: unknown): string {
  if (isDalstonError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : safeMessage(err);
}

/** What `unwrap` needs of a core `ResultAsync` (the example does not import neverthrow itself). */
interface ResultLike<T> {
  match<A, B = A>(ok: (value: T) => A, err: (error: DalstonError) => B): PromiseLike<A | B>;
}

/** Awaits a core `ResultAsync`: its value, or its DalstonError thrown (Express 5 forwards it here). */
export async function unwrap<T>(pending: ResultLike<T>): Promise<T> {
  return pending.match(
    (value) => value,
    (error) => {
      throw error;
    },
  );
}
