/**
 * GET /v1/jobs/:id/result: the transcript JSON. A 302 to a presigned URL when the
 * artifact store can presign (S3), otherwise streamed from the store (memory). `?redirect=false`
 * always streams.
 */
import { pipeline } from 'node:stream/promises';
import type { Dalston } from '@dalston/core';
import type { Request, Response } from 'express';
import type { AppOptions } from '../config.js';
import { TRANSCRIPT_NAME } from '../pipeline.js';
import { HttpProblem, unwrap } from '../problem.js';
import { authOf } from '../request-context.js';

export function jobResult(dalston: Dalston, options: AppOptions) {
  return async (req: Request, res: Response) => {
    const { tenantId } = authOf(req);
    const job = await unwrap(dalston.jobs.get(tenantId, req.params.id as string));
    if (job.purgedAt !== null) {
      throw new HttpProblem(410, 'NOT_FOUND', `the artifacts of job ${job.id} were purged (retention)`);
    }
    if (job.status !== 'completed') {
      throw new HttpProblem(
        409,
        'CONFLICT',
        `job ${job.id} is ${job.status}; a result exists once it completes`,
      );
    }
    const redirect = req.query.redirect !== 'false';
    const read = await unwrap(
      dalston.artifacts.readOutput(
        tenantId,
        job.id,
        TRANSCRIPT_NAME,
        redirect ? { presignSeconds: options.presignSeconds } : {},
      ),
    );
    if (read.url !== undefined) {
      res.redirect(302, read.url);
      return;
    }
    const { object } = read;
    res.status(200).type('application/json').setHeader('Content-Length', String(object.info.size));
    res.setHeader('ETag', `"${object.info.etag.replaceAll('"', '')}"`);
    await pipeline(object.body, res);
  };
}
