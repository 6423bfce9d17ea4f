/**
 * Gives each request an id (`X-Request-Id`, echoed back), a logger carrying it, and
 * `req.gone`: a signal that aborts when the connection closes, whenever that happens
 * (during authentication, a lookup, or a stream), so long-running handlers can stop.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@dalston/core';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && SAFE_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.log = logger.child({ requestId: id });
    const closed = new AbortController();
    req.gone = closed.signal;
    res.once('close', () => closed.abort());
    next();
  };
}
