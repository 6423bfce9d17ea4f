/**
 * JobStore, bulk creation: many jobs in one transaction (`jobs.submitMany`). Part of the
 * JobStore port (`JobStore extends JobStoreBulk`), kept in its own file like its contract
 * group (`contract/job-store.bulk.ts`).
 *
 * Deliberately left out: admission, validation and id generation (core's), enqueueing and
 * publishing (after the commit, core's).
 */
import type { CreateJobInput, CreateJobResult } from './job-store.js';

export interface JobStoreBulk {
  /**
   * Creates every job of `inputs` (1..1000; core's `submitMany` checks the bound) with its tasks
   * and events in ONE transaction, and answers per input, in input order, what `createJob`
   * would: `created: true` with the snapshot and the events with their ids, or
   * `created: false` with the existing job when the tenant's idempotency key is taken —
   * by a job committed earlier or by an earlier input of the same call (then the later
   * input returns the earlier input's job and writes nothing). Nothing else is partial:
   * when any input cannot be written (a job or task id that already exists: CONFLICT; a
   * value the store refuses: VALIDATION_FAILED; the store is down: STORE_UNAVAILABLE)
   * the call rejects and no job of it is stored. Event ids follow input order. A lost
   * connection after the write was sent rejects with STORE_UNAVAILABLE marked
   * `withOutcomeUnknown` (every job of the call may then exist, or none). Each input's
   * events belong to its own job (`jobId` = the input's job id), as core builds them.
   * Not idempotent beyond the idempotency keys (an input without a key and with a new
   * job id creates a new job every time).
   */
  createJobs(inputs: CreateJobInput[]): Promise<CreateJobResult[]>;
}
