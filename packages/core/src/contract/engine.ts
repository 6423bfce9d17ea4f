/** The whole-engine contract: every flow group against fresh adapters from `factory`. */
import { engineBulkReadContract } from './engine.bulk-read.js';
import { engineCancelContract } from './engine.cancel.js';
import { engineDeadLettersContract } from './engine.dead-letters.js';
import { engineEventsContract } from './engine.events.js';
import { engineFlowContract } from './engine.flow.js';
import { engineHandlerValuesContract } from './engine.handler-values.js';
import type { EngineFactory } from './engine.harness.js';
import { engineHostileContract } from './engine.hostile.js';
import { engineJobTypesContract } from './engine.job-types.js';
import { engineLeasesContract } from './engine.leases.js';
import { engineLimitsContract } from './engine.limits.js';
import { engineLoggingContract } from './engine.logging.js';
import { engineMaintenanceContract } from './engine.maintenance.js';
import { engineQueuesContract } from './engine.queues.js';
import { engineRecoveryContract } from './engine.recovery.js';
import { engineRowRetentionContract } from './engine.row-retention.js';
import { engineSessionsContract } from './engine.sessions.js';
import { engineStoreFaultsContract } from './engine.store-faults.js';
import { engineWorkersContract } from './engine.workers.js';

export type { EngineFactory, EngineFixture } from './engine.harness.js';
export { SUITE_CONFIG } from './engine.harness.js';
export {
  engineBulkReadContract,
  engineCancelContract,
  engineDeadLettersContract,
  engineEventsContract,
  engineFlowContract,
  engineHandlerValuesContract,
  engineHostileContract,
  engineJobTypesContract,
  engineLeasesContract,
  engineLimitsContract,
  engineLoggingContract,
  engineMaintenanceContract,
  engineQueuesContract,
  engineRecoveryContract,
  engineRowRetentionContract,
  engineSessionsContract,
  engineStoreFaultsContract,
  engineWorkersContract,
};

/** Runs every engine group on adapters from `factory` (each test gets a fresh set). */
export function engineContract(name: string, factory: EngineFactory): void {
  engineFlowContract(name, factory);
  engineCancelContract(name, factory);
  engineRecoveryContract(name, factory);
  engineLimitsContract(name, factory);
  engineEventsContract(name, factory);
  engineSessionsContract(name, factory);
  engineLeasesContract(name, factory);
  engineLoggingContract(name, factory);
  engineWorkersContract(name, factory);
  engineHostileContract(name, factory);
  engineHandlerValuesContract(name, factory);
  engineStoreFaultsContract(name, factory);
  engineMaintenanceContract(name, factory);
  engineBulkReadContract(name, factory);
  engineRowRetentionContract(name, factory);
  engineQueuesContract(name, factory);
  engineDeadLettersContract(name, factory);
  engineJobTypesContract(name, factory);
}
