/** POST /v1/jobs: a multipart upload streamed into `jobs.submit`. 202 with the job. */
import type { Dalston, JsonObject } from '@dalston/core';
import type { Request, Response } from 'express';
import type { AppOptions } from '../config.js';
import { HttpProblem } from '../problem.js';
import { authOf } from '../request-context.js';
import { jobView } from '../views.js';
import { receiveUpload } from './upload.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function submitJob(dalston: Dalston, options: AppOptions) {
  return async (req: Request, res: Response) => {
    const { tenantId, keyId } = authOf(req);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      req.resume();
      throw new HttpProblem(400, 'VALIDATION_FAILED', '1 to 255 visible ASCII characters', 'Idempotency-Key');
    }
    const limits = { maxBytes: options.maxUploadBytes, allowedContentTypes: options.allowedContentTypes };
    const job = await receiveUpload(req, res, limits, async (fields, file) => {
      const submitted = await dalston.jobs.submit({
        type: 'transcribe',
        tenantId,
        parameters: parseParameters(fields.parameters),
        input: { name: file.name, body: file.body, contentType: file.contentType },
        createdByKeyId: keyId,
        correlationId: String(res.getHeader('X-Request-Id')),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
      if (submitted.isErr()) throw submitted.error;
      return submitted.value;
    });
    res.status(202).location(`/v1/jobs/${job.id}`).json(jobView(job));
  };
}

/** The `parameters` form field: a JSON object (validated by the job type's schema in core). */
function parseParameters(raw: string | undefined): JsonObject {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpProblem(400, 'VALIDATION_FAILED', 'parameters: not valid JSON', 'parameters');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpProblem(400, 'VALIDATION_FAILED', 'parameters: expected a JSON object', 'parameters');
  }
  return value as JsonObject;
}
