/**
 * GET /v1/jobs/:id/events: the job's events as Server-Sent Events, replayed from the
 * event log after the cursor (`Last-Event-ID` or `?after=`) and then live, with no gaps
 * or duplicates; the stream ends after the job's terminal event.
 */
import { type Dalston, safeMessage } from '@dalston/core';
import type { Request, Response } from 'express';
import type { AppOptions } from '../config.js';
import { HttpProblem, toProblem, unwrap } from '../problem.js';
import { authOf } from '../request-context.js';
import { openSse, resumeCursor } from '../sse.js';
import { eventView } from '../views.js';

export function jobEvents(dalston: Dalston, options: AppOptions) {
  return async (req: Request, res: Response) => {
    const { tenantId } = authOf(req);
    const jobId = req.params.id as string;
    const after = resumeCursor(req);
    if (after === undefined) {
      throw new HttpProblem(400, 'VALIDATION_FAILED', 'Last-Event-ID: expected an event id', 'Last-Event-ID');
    }
    if (req.gone?.aborted) return; // the client left while it was being authenticated
    await unwrap(dalston.jobs.get(tenantId, jobId)); // 404 as problem+json before the stream opens
    if (req.gone?.aborted) return; // the client left during the lookup: open nothing
    const sse = openSse(req, res, options.sseHeartbeatMs);
    try {
      for await (const event of dalston.jobs.events(tenantId, jobId, { after, signal: sse.signal })) {
        sse.send(event.type, eventView(event), event.id);
      }
    } catch (err) {
      if (!sse.signal.aborted) {
        req.log?.warn('event stream failed', { jobId, error: safeMessage(err) });
        sse.send('error', toProblem(err, req.originalUrl.split('?')[0]));
      }
    } finally {
      sse.end();
    }
  };
}
