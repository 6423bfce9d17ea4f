/**
 * artifacts: tenant-scoped access to the artifact store. Keys are always derived;
 * a URI of another tenant (or not of this store) reads as NOT_FOUND.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import { jobOutputKey, parseArtifactKey, validateArtifactName } from '../../domain/artifact-key.js';
import { type DalstonError, notFound, validationFailed } from '../../domain/errors.js';
import type {
  ArtifactBody,
  ArtifactObject,
  ArtifactStore,
  ByteRange,
  PutOptions,
  PutResult,
} from '../../ports/artifact-store.js';
import type { JobStore } from '../../ports/job-store.js';
import { TOKENS } from '../../tokens.js';
import { attempt, parseInput } from '../boundary/result.js';
import { artifactBodySchema, putOptionsSchema } from './put-input.js';

const rangeSchema = z
  .strictObject({ start: z.int().min(0), end: z.int().min(0).optional() })
  .refine((r) => r.end === undefined || r.end >= r.start, { message: 'end must be >= start', path: ['end'] })
  .optional();

/** What {@link ArtifactsService.readOutput} gives: a presigned URL to redirect to, or the object itself. */
export type JobOutputRead = { url: string; object?: never } | { object: ArtifactObject; url?: never };

const presignSeconds = z.int().min(1).max(604_800);

export class ArtifactsService {
  static readonly inject = [TOKENS.artifactStore, TOKENS.jobStore] as const;

  constructor(
    private readonly store: ArtifactStore,
    private readonly jobStore: JobStore,
  ) {}

  /** Writes a job output `tenants/{t}/jobs/{j}/output/{name}`. NOT_FOUND when the job is not the tenant's. */
  put(
    tenantId: string,
    jobId: string,
    name: string,
    body: ArtifactBody,
    options: Omit<PutOptions, 'metadata'> = {},
  ): ResultAsync<PutResult, DalstonError> {
    const valid = validateArtifactName(name)
      .andThen(() => parseInput(artifactBodySchema, body, 'body'))
      .andThen(() => parseInput(putOptionsSchema, options, 'options'));
    if (valid.isErr()) return errAsync(valid.error);
    const opts = valid.value;
    return attempt(() => this.jobStore.getJob(tenantId, jobId))
      .andThen((job) => (job ? okAsync(job) : errAsync(notFound('job', jobId))))
      .andThen(() => attempt(() => this.store.put(jobOutputKey(tenantId, jobId, name), body, opts)));
  }

  /** Streams an artifact (or a byte range of it) of this tenant. */
  get(
    tenantId: string,
    uri: string,
    options: { range?: ByteRange } = {},
  ): ResultAsync<ArtifactObject, DalstonError> {
    const range = parseInput(rangeSchema, options.range, 'range');
    if (range.isErr()) return errAsync(range.error);
    return this.ownedKey(tenantId, uri).andThen((key) =>
      attempt(() => this.store.get(key, range.value ? { range: range.value } : {})),
    );
  }

  /**
   * Reads a job output `tenants/{t}/jobs/{j}/output/{name}` of this tenant, so a host never
   * needs the artifact port: `{ url }` (a presigned GET valid `presignSeconds`) when
   * `presignSeconds` is given and the store can presign (S3), otherwise `{ object }` (the
   * body streamed by the store, e.g. memory). NOT_FOUND when the job is not the tenant's
   * or (when streamed) the output does not exist; VALIDATION_FAILED for a bad name or
   * `presignSeconds` (an integer from 1 to 604800).
   */
  readOutput(
    tenantId: string,
    jobId: string,
    name: string,
    options: { presignSeconds?: number } = {},
  ): ResultAsync<JobOutputRead, DalstonError> {
    const valid = validateArtifactName(name).andThen(() =>
      parseInput(presignSeconds.optional(), options.presignSeconds, 'presignSeconds'),
    );
    if (valid.isErr()) return errAsync(valid.error);
    const seconds = valid.value;
    const key = jobOutputKey(tenantId, jobId, name);
    return attempt(() => this.jobStore.getJob(tenantId, jobId))
      .andThen((job) => (job ? okAsync(job) : errAsync(notFound('job', jobId))))
      .andThen(
        (): ResultAsync<JobOutputRead, DalstonError> =>
          seconds !== undefined && this.store.capabilities.presign
            ? attempt(() => this.store.presignGet(key, seconds)).map((url) => ({ url }))
            : attempt(() => this.store.get(key)).map((object) => ({ object })),
      );
  }

  /** A presigned GET URL valid for `expiresInSeconds`. VALIDATION_FAILED when the store cannot presign. */
  presignGet(tenantId: string, uri: string, expiresInSeconds: number): ResultAsync<string, DalstonError> {
    const expiry = parseInput(presignSeconds, expiresInSeconds, 'expiresInSeconds');
    if (expiry.isErr()) return errAsync(expiry.error);
    if (!this.store.capabilities.presign) {
      return errAsync(validationFailed('artifactStore', 'this artifact store cannot presign URLs'));
    }
    return this.ownedKey(tenantId, uri).andThen((key) =>
      attempt(() => this.store.presignGet(key, expiry.value)),
    );
  }

  private ownedKey(tenantId: string, uri: string): ResultAsync<string, DalstonError> {
    let key: string;
    try {
      key = this.store.keyFromUri(uri);
    } catch {
      return errAsync(notFound('artifact', String(uri)));
    }
    const parsed = parseArtifactKey(key);
    if (parsed.isErr() || parsed.value.tenantId !== tenantId) return errAsync(notFound('artifact', uri));
    return okAsync(key);
  }
}
