/** GET /healthz (the process answers) and GET /readyz (every store reachable, else 503). */
import type { Dalston } from '@dalston/core';
import { Router } from 'express';
import { unwrap } from '../problem.js';

export function healthRouter(dalston: Dalston): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await unwrap(dalston.health.check());
    const stores = Object.fromEntries(
      Object.entries(report.stores).map(([name, h]) => [
        name,
        { ok: h.ok, latencyMs: h.latencyMs, ...(h.error ? { code: h.error.code } : {}) },
      ]),
    );
    res.setHeader('Cache-Control', 'no-store');
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'unavailable', stores });
  });
  return router;
}
