/**
 * /v1/jobs: submit, list, read (with tasks and DAG edges), cancel, delete, result and events. Every call is scoped
 * to the key's tenant, so another tenant's job is a 404 (core answers NOT_FOUND).
 */
import { type Dalston, JOB_STATUSES } from '@dalston/core';
import { Router } from 'express';
import { z } from 'zod';
import type { AppOptions } from '../config.js';
import { requireScope } from '../middleware/auth.js';
import { HttpProblem, unwrap } from '../problem.js';
import { authOf } from '../request-context.js';
import { jobDetailsView, jobView } from '../views.js';
import { jobEvents } from './events.js';
import { jobResult } from './result.js';
import { submitJob } from './submit.js';

const listQuery = z.strictObject({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.enum(JOB_STATUSES)))
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(1024).optional(),
});

export function jobsRouter(dalston: Dalston, options: AppOptions): Router {
  const router = Router();
  const read = requireScope('jobs:read');
  const write = requireScope('jobs:write');

  router.post('/', write, submitJob(dalston, options));

  router.get('/', read, async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.map(String).join('.') || 'query';
      throw new HttpProblem(400, 'VALIDATION_FAILED', `${field}: ${issue.message}`, field);
    }
    const q = parsed.data;
    const page = await unwrap(
      dalston.jobs.list({
        tenantId: authOf(req).tenantId,
        limit: q.limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
      }),
    );
    res.json({ items: page.jobs.map(jobView), nextCursor: page.nextCursor });
  });

  router.get('/:id', read, async (req, res) => {
    const details = await unwrap(dalston.jobs.get(authOf(req).tenantId, req.params.id as string));
    res.json(jobDetailsView(details));
  });

  router.post('/:id/cancel', write, async (req, res) => {
    const job = await unwrap(dalston.jobs.cancel(authOf(req).tenantId, req.params.id as string));
    res.status(job.status === 'cancelling' ? 202 : 200).json(jobView(job));
  });

  router.delete('/:id', write, async (req, res) => {
    await unwrap(dalston.jobs.delete(authOf(req).tenantId, req.params.id as string));
    res.status(204).end();
  });

  router.get('/:id/result', read, jobResult(dalston, options));
  router.get('/:id/events', read, jobEvents(dalston, options));
  return router;
}
