/** /v1/keys: API keys of the caller's tenant, for keys with the `admin` scope. */
import { API_KEY_SCOPES, type Dalston } from '@dalston/core';
import express, { Router } from 'express';
import { z } from 'zod';
import { requireScope } from '../middleware/auth.js';
import { HttpProblem, unwrap } from '../problem.js';
import { authOf } from '../request-context.js';
import { keyView } from '../views.js';

const createBody = z.strictObject({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(API_KEY_SCOPES)).min(1),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

export function keysRouter(dalston: Dalston): Router {
  const router = Router();
  router.use(requireScope('admin'));

  router.post('/', express.json({ limit: '16kb' }), async (req, res) => {
    const parsed = createBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || 'body';
      throw new HttpProblem(400, 'VALIDATION_FAILED', `${field}: ${issue.message}`, field);
    }
    const { name, scopes, expiresAt } = parsed.data;
    const created = await unwrap(
      dalston.apiKeys.create({
        tenantId: authOf(req).tenantId,
        name,
        scopes,
        ...(expiresAt ? { expiresAt: Date.parse(expiresAt) } : {}),
      }),
    );
    res.status(201).location(`/v1/keys/${created.record.id}`);
    res.json({ ...keyView(created.record), key: created.key });
  });

  router.get('/', async (req, res) => {
    const keys = await unwrap(dalston.apiKeys.list(authOf(req).tenantId));
    res.json({ items: keys.map(keyView) });
  });

  router.delete('/:id', async (req, res) => {
    await unwrap(dalston.apiKeys.revoke(authOf(req).tenantId, req.params.id as string));
    res.status(204).end();
  });
  return router;
}
