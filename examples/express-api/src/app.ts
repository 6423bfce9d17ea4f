/**
 * The Express application: request context, health, then the authenticated and
 * rate-limited /v1 API, then problem+json for everything that goes wrong. It holds no
 * state of its own: every request becomes a call on the engine.
 */

import { dalstonConsole } from '@dalston/console';
import type { Dalston, Logger } from '@dalston/core';
import express, { type Express } from 'express';
import { type AppOptions, defaultAppOptions } from './config.js';
import type { Metrics } from './metrics.js';
import { authenticate } from './middleware/auth.js';
import { notFoundRoute, problemHandler } from './middleware/errors.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestContext } from './middleware/request-context.js';
import { healthRouter } from './routes/health.js';
import { jobsRouter } from './routes/jobs.js';
import { keysRouter } from './routes/keys.js';
import './request-context.js';

export interface AppDeps {
  dalston: Dalston;
  logger: Logger;
  options?: Partial<AppOptions>;
  /** Serves GET /metrics (Prometheus) when given. */
  metrics?: Metrics;
}

export function createApp(deps: AppDeps): Express {
  const options: AppOptions = { ...defaultAppOptions, ...deps.options };
  const { dalston } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(deps.logger));
  app.use(healthRouter(dalston));
  if (options.consoleAdminKey) {
    const auth = { adminKey: options.consoleAdminKey };
    app.use('/console', dalstonConsole({ dalston, auth, heartbeatMs: options.sseHeartbeatMs }));
  }
  if (deps.metrics) app.use(deps.metrics.router());
  const v1 = express.Router();
  v1.use(authenticate(dalston), rateLimit(dalston, options));
  v1.use('/jobs', jobsRouter(dalston, options));
  v1.use('/keys', keysRouter(dalston));
  app.use('/v1', v1);
  app.use(notFoundRoute);
  app.use(problemHandler);
  return app;
}
