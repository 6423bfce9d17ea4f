/** The last two middlewares: 404 for unknown routes, and every error as problem+json. */
import { DalstonError } from '@dalston/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { sendProblem } from '../problem.js';

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new DalstonError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  sendProblem(req, res, err);
};
