/**
 * `Authorization: Bearer dk_…` on every /v1 route, verified by `apiKeys.verify`
 * (constant-time; every failure is the same generic 401). Scopes are checked per route.
 */
import { type ApiKeyScope, type Dalston, DalstonError, hasScope } from '@dalston/core';
import type { RequestHandler } from 'express';
import { authOf } from '../request-context.js';

const BEARER = /^Bearer +(\S+)$/i;

export function authenticate(dalston: Dalston): RequestHandler {
  return async (req, _res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match)
      throw new DalstonError('UNAUTHORIZED', 'send Authorization: Bearer dk_… with a valid API key');
    const verified = await dalston.apiKeys.verify(match[1]!);
    if (verified.isErr()) throw verified.error;
    req.auth = verified.value;
    req.log = req.log?.child({ tenantId: verified.value.tenantId, keyId: verified.value.keyId });
    next();
  };
}

/** 403 unless the key carries `scope` (`admin` implies every scope). */
export function requireScope(scope: ApiKeyScope): RequestHandler {
  return (req, _res, next) => {
    if (!hasScope(authOf(req), scope)) {
      throw new DalstonError('FORBIDDEN', `this API key lacks the ${scope} scope`);
    }
    next();
  };
}
