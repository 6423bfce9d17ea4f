/**
 * `dalstonConsole({ dalston, auth })`: an Express router with the console's pages, mounted
 * by the host anywhere (`app.use('/console', dalstonConsole(...))`). Built on the engine's
 * services only. Pages are server-rendered HTML that work without JavaScript; one small
 * script adds the live DAG. State changes are POST forms from the console's own origin.
 */
import type { Dalston } from '@dalston/core';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { COOKIE, type ConsoleAuth, cookieValue, isAllowed, keyMatches, sameOrigin } from './auth.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { deadLetterRoutes } from './pages/dead-letters.js';
import { jobRoutes } from './pages/jobs.js';
import { queueRoutes } from './pages/queues.js';
import { scheduleRoutes } from './pages/schedules.js';
import { sessionRoutes } from './pages/sessions.js';
import { tenantRoutes } from './pages/tenants.js';
import { baseOf, errorPage, redirect } from './respond.js';
import { routes } from './routes.js';

export interface ConsoleOptions {
  dalston: Dalston;
  /**
   * Who may use it: `{ adminKey }` (a sign-in form, then an HttpOnly cookie; or
   * `Authorization: Bearer <key>`), or the host's own check of the request.
   */
  auth: ConsoleAuth;
  /** SSE heartbeat of the live job pages, in milliseconds. Default 15 000. */
  heartbeatMs?: number;
}

export function dalstonConsole(options: ConsoleOptions): Router {
  const { dalston, auth } = options;
  if (!dalston || typeof dalston.jobs?.get !== 'function')
    throw new TypeError('@dalston/console: `dalston` (the engine) is required');
  if (typeof auth !== 'function' && (typeof auth?.adminKey !== 'string' || auth.adminKey.length < 16)) {
    throw new TypeError(
      '@dalston/console: `auth` must be a function of the request or { adminKey } of at least 16 characters',
    );
  }
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '64kb' }));
  router.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    );
    next();
  });
  router.get('/assets/console.css', (_req, res) => void res.type('text/css').send(CONSOLE_CSS));
  router.get('/assets/console.js', (_req, res) => void res.type('text/javascript').send(CONSOLE_JS));
  if (typeof auth !== 'function') signIn(router, auth);
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!(await isAllowed(auth, req))) {
        if (typeof auth !== 'function' && req.method === 'GET' && req.accepts('html')) {
          res.redirect(303, `${baseOf(req)}/login`);
        } else res.status(401).type('text/plain').send('Unauthorized');
        return;
      }
      if (req.method === 'POST' && !sameOrigin(req)) {
        res.status(403).type('text/plain').send('Forbidden: the request did not come from the console');
        return;
      }
      next();
    } catch (e) {
      next(e);
    }
  });
  const r = routes(router);
  r.get('/', async (req, res) => redirect(req, res, '/jobs'));
  tenantRoutes(r, dalston);
  jobRoutes(r, dalston, { heartbeatMs: options.heartbeatMs ?? 15_000 });
  queueRoutes(r, dalston);
  deadLetterRoutes(r, dalston);
  scheduleRoutes(r, dalston);
  sessionRoutes(r, dalston);
  router.use((e: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    errorPage(req, res, e);
  });
  return router;
}

function signIn(router: Router, auth: { adminKey: string }): void {
  const form = (req: Request, failed: boolean) =>
    layout({
      base: baseOf(req),
      title: 'Sign in',
      notice: failed ? { text: 'That key is not the admin key.', error: true } : null,
      body: html`<h1>Sign in</h1><form method="post" action="${baseOf(req)}/login" class="filters">
<label>Admin key<input type="password" name="key" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`,
    });
  router.get('/login', (req, res) => void res.type('html').send(form(req, false)));
  router.post('/login', (req, res) => {
    if (!sameOrigin(req) || !keyMatches(auth, (req.body as Record<string, unknown>)?.key)) {
      res.status(401).type('html').send(form(req, true));
      return;
    }
    res.cookie(COOKIE, cookieValue(auth), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: baseOf(req) || '/',
    });
    res.redirect(303, `${baseOf(req)}/jobs`);
  });
  router.post('/logout', (req, res) => {
    res.clearCookie(COOKIE, { path: baseOf(req) || '/' });
    res.redirect(303, `${baseOf(req)}/login`);
  });
}
