/**
 * jobs.submit: validate → admit (a concurrent-job slot) → stream the input to the
 * artifact store → create job, tasks and events in one JobStore transaction → enqueue
 * ready tasks → publish. A blob is always written before the row that references it;
 * when anything fails before the row exists, the blob and the slot are given back.
 *
 * Idempotent retries at the limit: admission comes before createJob sees the key, so a
 * submit that is refused a slot (RATE_LIMITED, or STORE_UNAVAILABLE from a fail-closed
 * rate-limit store) and carries an idempotencyKey looks the key up; when the tenant already
 * has that job, the job is returned (no slot taken, nothing written). Only refused submits
 * pay that read; when it fails too, the refusal stands. A first submit still in flight
 * (slot taken, row not yet committed) is not visible yet, so its retry may be refused.
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { z } from 'zod';
import type { DalstonConfig } from '../../config.js';
import { jobInputKey, jobPrefix } from '../../domain/artifact-key.js';
import { type NormalisedTaskSpec, validatePipeline } from '../../domain/dag.js';
import {
  DalstonError,
  isDalstonError,
  isOutcomeUnknown,
  toDalstonError,
  validationFailed,
} from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { JsonObject } from '../../domain/json.js';
import {
  isJsonValue,
  storableJsonObjectSchema,
  storableString,
  UNSTORABLE_TEXT,
  unstorableTextPath,
} from '../../domain/schemas.js';
import type { Tenant } from '../../domain/tenant.js';
import { buildJob } from '../../domain/transitions.js';
import type { ArtifactBody, ArtifactStore } from '../../ports/artifact-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IdGenerator } from '../../ports/id-generator.js';
import type { CreateJobInput, JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import { TenantCache } from '../access/tenant-guard.js';
import { artifactBodySchema } from '../artifacts/put-input.js';
import { attempt, fieldPath, parseInput } from '../boundary/result.js';
import type { AnyJobDefinition, JobMap } from '../jobs/job-definition.js';
import type { JobType, JobTypes } from '../jobs/job-types.js';
import { RateLimitsService } from '../rate-limits/rate-limits-service.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { JobTransitions } from '../transitions/job-transitions.js';
import { jobSlotKey } from '../transitions/keys.js';
import { EventPublisher } from '../transitions/publisher.js';

export interface SubmitInput {
  /** The job type (a key of `createDalston({ jobs })`); may be left out when the engine has one type. */
  type?: string;
  tenantId: string;
  /** JSON parameters, checked at run time by the job type's schema (`SubmitInputOf` types them). */
  parameters?: { readonly [key: string]: unknown };
  input?: { name: string; body: ArtifactBody; contentType?: string };
  idempotencyKey?: string;
  /** 0 = delete at terminal, -1 = keep, else days. Default: the engine's defaultRetentionDays. */
  retentionDays?: number;
  correlationId?: string;
  createdByKeyId?: string;
  /**
   * Keep the job pending until this time (epoch ms or a Date): its first tasks become
   * leasable then. Not with `delayMs`. A time in the past runs at once.
   */
  runAt?: number | Date;
  /** Keep the job pending for this many milliseconds from now. Not with `runAt`. */
  delayMs?: number;
}

type IsSingleKey<T> = { [K in keyof T]: [Exclude<keyof T, K>] extends [never] ? true : false }[keyof T];
type ParametersOf<D extends AnyJobDefinition> = z.input<D['parameters']>;
type ParametersField<D extends AnyJobDefinition> =
  {} extends ParametersOf<D> ? { parameters?: ParametersOf<D> } : { parameters: ParametersOf<D> };

/**
 * `jobs.submit`'s input on an engine with job types `J`: `type` names one of them (optional
 * when there is exactly one) and `parameters` is what its schema accepts.
 */
export type SubmitInputOf<J extends JobMap> = {
  [T in keyof J & string]: Omit<SubmitInput, 'type' | 'parameters'> &
    (IsSingleKey<J> extends true ? { type?: T } : { type: T }) &
    ParametersField<J[T]>;
}[keyof J & string];

/** Latest accepted `runAt` (9999-12-31, the end of what every store keeps). */
const MAX_RUN_AT = 253402300799999;

const idSchema = storableString().min(1).max(64);
/** Every string must be storable as is (no NUL, no lone surrogate) on every adapter set. */
export const submitSchema = z
  .strictObject({
    type: storableString().min(1).max(63).optional(),
    tenantId: idSchema,
    parameters: storableJsonObjectSchema.default({}),
    input: z
      .strictObject({
        name: storableString().min(1).max(255),
        body: artifactBodySchema,
        contentType: storableString().min(1).max(255).optional(),
      })
      .optional(),
    idempotencyKey: storableString().min(1).max(255).optional(),
    retentionDays: z.int().min(-1).max(36_500).optional(),
    correlationId: storableString().min(1).max(128).optional(),
    createdByKeyId: storableString().min(1).max(64).optional(),
    runAt: z.union([z.int().min(0).max(MAX_RUN_AT), z.date()]).optional(),
    delayMs: z
      .int()
      .min(0)
      .max(100 * 365 * 24 * 3600 * 1000)
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.runAt !== undefined && v.delayMs !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['runAt'], message: 'give runAt or delayMs, not both' });
    }
    if (v.runAt instanceof Date && !Number.isFinite(v.runAt.getTime())) {
      ctx.addIssue({ code: 'custom', path: ['runAt'], message: 'is an invalid Date' });
    }
  });
export type Submit = z.output<typeof submitSchema>;

/** A request checked against its tenant and the pipeline, with its new job id. */
export interface Admitted {
  req: Submit;
  tenant: Tenant;
  type: string;
  parameters: JsonObject;
  specs: NormalisedTaskSpec[];
  jobId: string;
  /** The submit span's W3C traceparent (null without an OpenTelemetry SDK, and for submitMany). */
  traceContext?: string | null;
}

export class SubmitJob {
  static readonly inject = [
    TOKENS.jobStore,
    TenantCache,
    TOKENS.artifactStore,
    TOKENS.clock,
    TOKENS.ids,
    TOKENS.config,
    TOKENS.jobTypes,
    TOKENS.logger,
    RateLimitsService,
    JobTransitions,
    EventPublisher,
    TOKENS.telemetry,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly tenants: TenantCache,
    private readonly artifacts: ArtifactStore,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly config: DalstonConfig,
    private readonly jobTypes: JobTypes,
    private readonly logger: Logger,
    private readonly rateLimits: RateLimitsService,
    private readonly transitions: JobTransitions,
    private readonly publisher: EventPublisher,
    private readonly telemetry: Telemetry,
  ) {}

  submit(input: SubmitInput): ResultAsync<Job, DalstonError> {
    return this.telemetry.traceSubmit(input?.tenantId, (traceContext) =>
      parseInput(submitSchema, input)
        .asyncAndThen((req) => this.validate(req, traceContext))
        .andThen((v) =>
          this.admit(v)
            .orElse((refused) => this.existingForRetry(v, refused))
            .andThen((existing) => (existing ? okAsync(existing) : attempt(() => this.store(v)))),
        ),
    );
  }

  private validate(req: Submit, traceContext: string | null): ResultAsync<Admitted, DalstonError> {
    const type = this.jobTypes.resolve(req.type);
    if (type.isErr()) return errAsync(type.error);
    return attempt(() => this.tenants.active(req.tenantId)).andThen((tenant) => {
      const prepared = this.prepare(req, tenant);
      return isDalstonError(prepared) ? errAsync(prepared) : okAsync({ ...prepared, traceContext });
    });
  }

  /**
   * The parsed request checked against the pipeline (parameters schema, DAG), with a new
   * job id; VALIDATION_FAILED otherwise. Synchronous: `submitMany` checks every item with it.
   */
  prepare(req: Submit, tenant: Tenant): Admitted | DalstonError {
    const type = this.jobTypes.resolve(req.type);
    if (type.isErr()) return type.error;
    const parsed = this.parameters(type.value, req.parameters);
    if (isDalstonError(parsed)) return parsed;
    const specs = this.specs(type.value, parsed);
    if (isDalstonError(specs)) return specs;
    return { req, tenant, type: type.value.name, parameters: parsed, specs, jobId: this.ids.next('job') };
  }

  /** The job, its tasks and its creation events for an admitted request (`input`: the input's URI). */
  draft(v: Admitted, input: string | null): CreateJobInput {
    const now = this.clock.now();
    return buildJob(
      {
        id: v.jobId,
        tenantId: v.tenant.id,
        type: v.type,
        parameters: v.parameters,
        input,
        traceContext: v.traceContext ?? null,
        idempotencyKey: v.req.idempotencyKey ?? null,
        retentionDays: v.req.retentionDays ?? this.config.defaultRetentionDays,
        correlationId: v.req.correlationId ?? v.jobId,
        createdByKeyId: v.req.createdByKeyId ?? null,
        now,
        notBefore: this.runAt(v.req, now),
      },
      v.specs,
      (kind) => this.ids.next(kind),
    );
  }

  /**
   * Checks parameters as `submit` would (the pipeline's schema, then its build), without
   * submitting: null when they would be accepted, else the VALIDATION_FAILED naming the
   * field. Schedules call it at upsert so bad parameters are refused before any tick.
   */
  checkParameters(raw: JsonObject, typeName?: string): DalstonError | null {
    const type = this.jobTypes.resolve(typeName);
    if (type.isErr()) return type.error;
    const parsed = this.parameters(type.value, raw);
    if (isDalstonError(parsed)) return parsed;
    const specs = this.specs(type.value, parsed);
    return isDalstonError(specs) ? specs : null;
  }

  /** When the job's first tasks become leasable (epoch ms), or null for at once. */
  private runAt(req: Submit, now: number): number | null {
    if (req.delayMs !== undefined) return now + req.delayMs;
    if (req.runAt === undefined) return null;
    const at = req.runAt instanceof Date ? req.runAt.getTime() : req.runAt;
    return at > now ? at : null;
  }

  /**
   * The parameters as a plain copy (so a getter or Proxy in the caller's object cannot
   * change what was validated), through the job type's schema when it has one.
   */
  private parameters(type: JobType, raw: JsonObject): JsonObject | DalstonError {
    const copy = plainCopy(raw);
    if (copy === null) return validationFailed('parameters', 'could not be read as JSON');
    const schema = type.parameters;
    if (!schema) return copy;
    const r = parseInput(schema, copy, 'parameters');
    if (r.isErr()) return r.error;
    if (!isJsonValue(r.value) || typeof r.value !== 'object' || Array.isArray(r.value)) {
      return validationFailed('parameters', 'the pipeline schema must produce a JSON object');
    }
    const path = unstorableTextPath(r.value);
    if (path) return validationFailed(fieldPath('parameters', path), UNSTORABLE_TEXT);
    return r.value as JsonObject;
  }

  private specs(type: JobType, parameters: JsonObject): NormalisedTaskSpec[] | DalstonError {
    let built: unknown;
    try {
      built = type.build(parameters);
    } catch (e) {
      const cause = toDalstonError(e, 'VALIDATION_FAILED');
      return cause.code === 'VALIDATION_FAILED' && cause.field
        ? cause
        : validationFailed('parameters', `the pipeline refused these parameters: ${cause.message}`);
    }
    try {
      const r = validatePipeline(built);
      return r.isOk() ? r.value : r.error;
    } catch {
      return validationFailed('pipeline', 'build() returned task specs that could not be read');
    }
  }

  /** Takes a concurrent-job slot (held by the new job id); resolves null when granted. */
  private admit(v: Admitted): ResultAsync<null, DalstonError> {
    const limit = v.tenant.limits.concurrentJobs ?? this.config.limits.concurrentJobs;
    const failure = this.config.rateLimitFailure.concurrentJobs ?? this.config.rateLimitFailure.default;
    return this.rateLimits
      .acquireSlot(jobSlotKey(v.tenant.id), v.jobId, limit, { failure })
      .andThen((slot) =>
        slot.acquired
          ? okAsync(null)
          : errAsync(
              new DalstonError(
                'RATE_LIMITED',
                `tenant ${v.tenant.id} has ${slot.count} of ${limit} concurrent jobs`,
                {
                  retryAfterMs: Math.min(this.config.heartbeatMs, 1000),
                  details: { limit, count: slot.count },
                },
              ),
            ),
      );
  }

  /**
   * After admission was refused: the tenant's job with this request's idempotency key, so
   * a retry gets its job instead of the refusal. Otherwise (no key, no such job, another
   * kind of error, or the lookup failing) the refusal stands.
   */
  private existingForRetry(v: Admitted, refused: DalstonError): ResultAsync<Job, DalstonError> {
    const key = v.req.idempotencyKey;
    if (key === undefined || (refused.code !== 'RATE_LIMITED' && refused.code !== 'STORE_UNAVAILABLE')) {
      return errAsync(refused);
    }
    return attempt(() => this.jobStore.getJobByIdempotencyKey(v.tenant.id, key))
      .orElse((e) => {
        this.logger.warn('could not look up the idempotency key of a refused submit', {
          tenantId: v.tenant.id,
          error: e.message,
        });
        return okAsync(null);
      })
      .andThen((job) => (job ? okAsync(job) : errAsync(refused)));
  }

  /**
   * Writes blob then rows; gives the blob and slot back when the row was not created. When
   * createJob's outcome is unknown (the connection was lost after the write was sent), the
   * job may exist: the blob and slot stay, and the submit is refused all the same. If the
   * row did commit, reconcile enqueues its tasks and the relay publishes its events; if
   * not, the slot resync frees the slot after its grace and the orphan sweep deletes the
   * blob.
   */
  private async store(v: Admitted): Promise<Job> {
    let created = false;
    let maybeCreated = false;
    try {
      const input = v.req.input ? await this.whileConfirmingSlot(v, () => this.putInput(v)) : null;
      if (input !== null) await this.reconfirmSlot(v);
      const built = this.draft(v, input);
      const result = await this.jobStore.createJob(built).catch((e: unknown) => {
        maybeCreated = isOutcomeUnknown(e);
        throw e;
      });
      if (!result.created) return result.snapshot.job;
      created = true;
      const { job, tasks } = result.snapshot;
      const ready = tasks.filter((t) => t.status === 'ready');
      // Independent after-commit steps (each repaired by the reconciler or the relay): one wait.
      await Promise.all([
        this.transitions.enqueue(ready, { jobId: job.id, correlationId: job.correlationId }),
        this.publisher.publish(result.events),
      ]);
      return result.snapshot.job;
    } finally {
      if (maybeCreated) {
        this.logger.warn(
          'the job write of a refused submit may have committed; its input and slot are kept',
          {
            tenantId: v.tenant.id,
            jobId: v.jobId,
            correlationId: v.req.correlationId ?? v.jobId,
          },
        );
      } else if (!created) await this.giveBack(v);
    }
  }

  private async putInput(v: Admitted): Promise<string> {
    const { name, body, contentType } = v.req.input!;
    let key: string;
    try {
      key = jobInputKey(v.tenant.id, v.jobId, name);
    } catch (e) {
      const error = toDalstonError(e, 'VALIDATION_FAILED');
      throw validationFailed(fieldPath('input', ['name']), error.message);
    }
    const put = await this.artifacts.put(key, body, contentType ? { contentType } : {});
    return put.uri;
  }

  /**
   * Runs `work` (the upload) while refreshing the job's slot every third of the slot
   * resync's grace, so the resync, which spares holders confirmed within the grace, never
   * takes the slot of an upload in progress however long it runs.
   */
  private async whileConfirmingSlot<T>(v: Admitted, work: () => Promise<T>): Promise<T> {
    const everyMs = Math.max(10, Math.floor(this.config.slotResyncGraceMs / 3));
    let done = false;
    let cancel = () => {};
    const schedule = () => {
      if (done) return;
      cancel = this.clock.setTimer(() => {
        void this.rateLimits.refreshSlot(jobSlotKey(v.tenant.id), v.jobId).then(schedule);
      }, everyMs);
    };
    schedule();
    try {
      return await work();
    } finally {
      done = true;
      cancel();
    }
  }

  /**
   * Takes the slot again (idempotent: renews it and its confirmation time) right before the
   * row is written. Should a refresh during the upload have failed (store briefly down) and
   * the resync have freed the slot for another submit, the job is refused, not written:
   * a job row is only committed while its submit holds a slot.
   */
  private async reconfirmSlot(v: Admitted): Promise<void> {
    const again = await this.admit(v);
    if (again.isErr()) throw again.error;
  }

  private async giveBack(v: Admitted): Promise<void> {
    const correlationId = v.req.correlationId ?? v.jobId;
    await this.artifacts.deletePrefix(jobPrefix(v.tenant.id, v.jobId)).catch((e) =>
      this.logger.warn('could not delete the input of a job that was not created; the orphan sweep will', {
        jobId: v.jobId,
        correlationId,
        error: toDalstonError(e).message,
      }),
    );
    await this.transitions.releaseJobSlot(v.tenant.id, v.jobId, { correlationId });
  }
}

/** A plain JSON copy of `v`, or null when reading it throws (a getter, a Proxy trap). */
function plainCopy(v: JsonObject): JsonObject | null {
  try {
    const copy: unknown = JSON.parse(JSON.stringify(v));
    return isJsonValue(copy) && typeof copy === 'object' && copy !== null && !Array.isArray(copy)
      ? (copy as JsonObject)
      : null;
  } catch {
    return null;
  }
}
