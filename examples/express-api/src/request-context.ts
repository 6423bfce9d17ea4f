/**
 * What the middleware attaches to a request: the verified API key and a logger
 * carrying the request id. Declared on Express's Request type.
 */
import type { Logger, VerifiedKey } from '@dalston/core';

declare global {
  namespace Express {
    interface Request {
      /** Set by `authenticate`. */
      auth?: VerifiedKey;
      /** Set by `requestContext`. */
      log?: Logger;
      /** Set by `requestContext`: aborts when the connection closes (the client went away or the response ended). */
      gone?: AbortSignal;
    }
  }
}

/** The verified key of an authenticated route (the auth middleware guarantees it). */
export function authOf(req: Express.Request): VerifiedKey {
  if (!req.auth) throw new Error('route mounted without the authenticate middleware');
  return req.auth;
}
