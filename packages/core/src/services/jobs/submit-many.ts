/**
 * jobs.submitMany: many jobs of one tenant in one JobStore transaction.
 *
 * 1. Validate every item (the `submit` schema, the pipeline's parameters schema and DAG)
 *    before anything is written; any invalid item refuses the whole batch with ONE
 *    VALIDATION_FAILED whose `details.items` lists `{ index, field, message }` per bad item.
 * 2. Admit all or nothing: every new job takes a concurrent-job slot (concurrently); when
 *    one is refused, the slots taken are given back and the batch is RATE_LIMITED. A batch
 *    larger than the tenant's limit is refused without asking the store.
 * 3. One `JobStore.createJobs` (one transaction), then ONE `WorkQueue.enqueue` for the
 *    ready tasks of every created job and ONE publish of all their events.
 *
 * Per item, idempotent like `submit`: a key already used returns that job at the item's
 * position (its slot is given back); items of one batch sharing a key get one job.
 * Rules of the batch: 1..1000 items, all of one tenant, no `input` bodies (upload those
 * with `submit`, one by one: a batch holds no stream).
 */
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { DalstonConfig } from '../../config.js';
import { DalstonError, isDalstonError, isOutcomeUnknown, validationFailed } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { Tenant } from '../../domain/tenant.js';
import type { JobStore } from '../../ports/job-store.js';
import type { Logger } from '../../ports/logger.js';
import { TOKENS } from '../../tokens.js';
import { TenantCache } from '../access/tenant-guard.js';
import { attempt, parseInput } from '../boundary/result.js';
import { RateLimitsService } from '../rate-limits/rate-limits-service.js';
import { JobTransitions } from '../transitions/job-transitions.js';
import { jobSlotKey } from '../transitions/keys.js';
import { EventPublisher } from '../transitions/publisher.js';
import { type Admitted, type Submit, type SubmitInput, SubmitJob, submitSchema } from './submit.js';

/** Most items one `submitMany` takes. */
export const SUBMIT_MANY_MAX = 1000;

/** One invalid item of a refused batch (`details.items` of its VALIDATION_FAILED). */
export interface SubmitManyItemError {
  index: number;
  /** The field inside the item, e.g. `parameters.language`. */
  field: string;
  message: string;
}

/** The batch as validated: one entry per distinct job, and each item's entry. */
interface Batch {
  tenant: Tenant;
  jobs: Admitted[];
  /** For each item, the index in `jobs` of its job (items sharing a key share a job). */
  slots: number[];
}

export class SubmitManyJobs {
  static readonly inject = [
    TOKENS.jobStore,
    TenantCache,
    TOKENS.config,
    TOKENS.logger,
    RateLimitsService,
    JobTransitions,
    EventPublisher,
    SubmitJob,
  ] as const;

  constructor(
    private readonly jobStore: JobStore,
    private readonly tenants: TenantCache,
    private readonly config: DalstonConfig,
    private readonly logger: Logger,
    private readonly rateLimits: RateLimitsService,
    private readonly transitions: JobTransitions,
    private readonly publisher: EventPublisher,
    private readonly submitter: SubmitJob,
  ) {}

  submitMany(inputs: SubmitInput[]): ResultAsync<Job[], DalstonError> {
    const parsed = parseItems(inputs);
    if (isDalstonError(parsed)) return errAsync(parsed);
    return attempt(() => this.tenants.active(parsed[0]!.tenantId))
      .andThen((tenant) => {
        const batch = this.prepare(parsed, tenant);
        return isDalstonError(batch) ? errAsync(batch) : okAsync(batch);
      })
      .andThen((batch) =>
        attempt(() => this.admit(batch))
          .orElse((refused) => this.existingForRetry(batch, refused))
          .andThen((existing) => (existing ? okAsync(existing) : attempt(() => this.store(batch)))),
      );
  }

  /** Every item through the pipeline; one VALIDATION_FAILED listing every bad item. */
  private prepare(items: Submit[], tenant: Tenant): Batch | DalstonError {
    const errors: SubmitManyItemError[] = [];
    const jobs: Admitted[] = [];
    const slots: number[] = [];
    const byKey = new Map<string, number>();
    items.forEach((req, index) => {
      const v = this.submitter.prepare(req, tenant);
      if (isDalstonError(v)) {
        errors.push({ index, field: v.field ?? 'input', message: itemMessage(v) });
        return;
      }
      const key = req.idempotencyKey;
      const same = key === undefined ? undefined : byKey.get(key);
      if (same !== undefined) {
        slots.push(same);
        return;
      }
      if (key !== undefined) byKey.set(key, jobs.length);
      slots.push(jobs.length);
      jobs.push(v);
    });
    return errors.length > 0 ? batchInvalid(errors, items.length) : { tenant, jobs, slots };
  }

  /** A slot for every job of the batch, or none: refused slots give the others back. */
  private async admit(batch: Batch): Promise<null> {
    const { tenant, jobs } = batch;
    const limit = tenant.limits.concurrentJobs ?? this.config.limits.concurrentJobs;
    if (jobs.length > limit) {
      throw new DalstonError(
        'RATE_LIMITED',
        `a batch of ${jobs.length} jobs exceeds tenant ${tenant.id}'s limit of ${limit} concurrent jobs; submit smaller batches`,
        { details: { limit, requested: jobs.length } },
      );
    }
    const failure = this.config.rateLimitFailure.concurrentJobs ?? this.config.rateLimitFailure.default;
    const key = jobSlotKey(tenant.id);
    const taken = await Promise.all(
      jobs.map((v) => this.rateLimits.acquireSlot(key, v.jobId, limit, { failure })),
    );
    const refusal = taken.find((r) => r.isErr() || !r.value.acquired);
    if (!refusal) return null;
    await this.releaseSlots(tenant, jobs);
    if (refusal.isErr()) throw refusal.error;
    const count = Math.max(...taken.map((r) => (r.isOk() ? r.value.count : 0)));
    throw new DalstonError(
      'RATE_LIMITED',
      `tenant ${tenant.id} has ${count} of ${limit} concurrent jobs; a batch of ${jobs.length} does not fit`,
      {
        retryAfterMs: Math.min(this.config.heartbeatMs, 1000),
        details: { limit, count, requested: jobs.length },
      },
    );
  }

  /**
   * After admission was refused: when every item carries an idempotency key the tenant has
   * already used, the batch is a retry and gets its jobs; otherwise the refusal stands.
   */
  private existingForRetry(batch: Batch, refused: DalstonError): ResultAsync<Job[] | null, DalstonError> {
    const keys = batch.jobs.map((v) => v.req.idempotencyKey);
    const retryable = refused.code === 'RATE_LIMITED' || refused.code === 'STORE_UNAVAILABLE';
    if (!retryable || keys.some((k) => k === undefined)) return errAsync(refused);
    const tenantId = batch.tenant.id;
    return attempt(() => Promise.all(keys.map((k) => this.jobStore.getJobByIdempotencyKey(tenantId, k!))))
      .orElse((e) => {
        this.logger.warn('could not look up the idempotency keys of a refused batch', {
          tenantId,
          error: e.message,
        });
        return okAsync(null);
      })
      .andThen((found) =>
        found?.every((j) => j !== null)
          ? okAsync(batch.slots.map((s) => found[s] as Job))
          : errAsync(refused),
      );
  }

  /**
   * One createJobs; then the ready tasks of every created job in one enqueue and their
   * events in one publish (each repaired by the reconciler or the relay should it fail).
   * Slots of jobs not created are given back; when the outcome of the write is unknown,
   * every slot stays (reconcile and the slot resync settle it, as for `submit`).
   */
  private async store(batch: Batch): Promise<Job[]> {
    let results: Awaited<ReturnType<JobStore['createJobs']>>;
    try {
      results = await this.jobStore.createJobs(batch.jobs.map((v) => this.submitter.draft(v, null)));
    } catch (e) {
      if (isOutcomeUnknown(e)) {
        this.logger.warn('the write of a refused batch may have committed; its slots are kept', {
          tenantId: batch.tenant.id,
          jobIds: batch.jobs.map((v) => v.jobId),
        });
      } else await this.releaseSlots(batch.tenant, batch.jobs);
      throw e;
    }
    const created = results.flatMap((r) => (r.created ? [r] : []));
    const ready = created.flatMap((r) => r.snapshot.tasks.filter((t) => t.status === 'ready'));
    const notCreated = batch.jobs.filter((_, i) => !results[i]!.created);
    await Promise.all([
      this.transitions.enqueue(ready, { tenantId: batch.tenant.id, jobs: created.length }),
      this.publisher.publish(created.flatMap((r) => r.events)),
      this.releaseSlots(batch.tenant, notCreated),
    ]);
    return batch.slots.map((s) => results[s]!.snapshot.job);
  }

  private async releaseSlots(tenant: Tenant, jobs: Admitted[]): Promise<void> {
    await Promise.all(
      jobs.map((v) =>
        this.transitions.releaseJobSlot(tenant.id, v.jobId, {
          correlationId: v.req.correlationId ?? v.jobId,
        }),
      ),
    );
  }
}

/** The items through the submit schema: the batch's size and tenant, then each item. */
function parseItems(inputs: unknown): Submit[] | DalstonError {
  if (!Array.isArray(inputs)) return validationFailed('inputs', 'expected an array of submit inputs');
  if (inputs.length < 1 || inputs.length > SUBMIT_MANY_MAX) {
    return validationFailed('inputs', `expected 1..${SUBMIT_MANY_MAX} items, got ${inputs.length}`, {
      max: SUBMIT_MANY_MAX,
    });
  }
  const errors: SubmitManyItemError[] = [];
  const items: Submit[] = [];
  for (const [index, raw] of inputs.entries()) {
    const r = parseInput(submitSchema, raw);
    if (r.isErr()) {
      errors.push({ index, field: r.error.field ?? 'input', message: itemMessage(r.error) });
      continue;
    }
    if (r.value.input !== undefined) {
      const message = 'submitMany takes no input bodies; submit a job with an input on its own';
      errors.push({ index, field: 'input', message });
      continue;
    }
    if (items.length > 0 && r.value.tenantId !== items[0]!.tenantId) {
      errors.push({
        index,
        field: 'tenantId',
        message: `every item of a batch names one tenant (${items[0]!.tenantId})`,
      });
      continue;
    }
    items.push(r.value);
  }
  return errors.length > 0 ? batchInvalid(errors, inputs.length) : items;
}

/** The message of an item's error without its `field: ` prefix. */
function itemMessage(e: DalstonError): string {
  const prefix = `${e.field}: `;
  return e.field !== undefined && e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** One VALIDATION_FAILED for the batch, naming the first bad item's field. */
function batchInvalid(errors: SubmitManyItemError[], total: number): DalstonError {
  const first = errors[0]!;
  const field = `inputs[${first.index}].${first.field}`;
  const message = `${first.message} (${errors.length} of ${total} items invalid; nothing was submitted, see details.items)`;
  return validationFailed(field, message, { items: errors });
}
