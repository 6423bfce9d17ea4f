/**
 * The JobStore contract suite: every behaviour group, against fresh stores from `factory`.
 * Groups: create and read, bulk create (createJobs), updateJob and extendLease, listJobs and readEvents,
 * reconciler scans / purge / delete / outbox, row retention, the exclusive-pass primitive, and schedules.
 */
import type { JobStore } from '../ports/job-store.js';
import { makeJob, newTenantId } from './builders.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { jobStoreBulkContract } from './job-store.bulk.js';
import { jobStoreCreateContract } from './job-store.create.js';
import { jobStoreExclusiveContract } from './job-store.exclusive.js';
import { jobStoreMaintenanceContract } from './job-store.maintenance.js';
import { jobStorePagingContract } from './job-store.paging.js';
import { jobStoreQueriesContract } from './job-store.queries.js';
import { jobStoreQueueControlContract } from './job-store.queue-control.js';
import { jobStoreRetentionContract } from './job-store.retention.js';
import { jobStoreSchedulesContract } from './job-store.schedules.js';
import { jobStoreUpdateContract } from './job-store.update.js';
import { portLifecycleContract } from './lifecycle.js';
import { jobStoreTextContract } from './store-text.js';

export function jobStoreContract(name: string, unguarded: PortFactory<JobStore>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('jobStore', unguarded);
  portLifecycleContract(
    name,
    'jobStore',
    factory,
    {
      operation: 'createJob',
      call: (s) => s.createJob({ job: makeJob(), tasks: [], events: [] }),
    },
    { operation: 'getJob', call: (s) => s.getJob(newTenantId(), 'job-1') },
  );
  jobStoreCreateContract(name, factory);
  jobStoreBulkContract(name, factory);
  jobStoreUpdateContract(name, factory);
  jobStoreQueriesContract(name, factory);
  jobStoreMaintenanceContract(name, factory);
  jobStoreRetentionContract(name, factory);
  jobStorePagingContract(name, factory);
  jobStoreExclusiveContract(name, factory);
  jobStoreSchedulesContract(name, factory);
  jobStoreQueueControlContract(name, factory);
  jobStoreTextContract(name, factory);
}
