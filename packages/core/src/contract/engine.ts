/** The whole-engine contract: every flow group against fresh adapters from `factory`. */
import { engineCancelContract } from './engine.cancel.js';
import { engineEventsContract } from './engine.events.js';
import { engineFlowContract } from './engine.flow.js';
import type { EngineFactory } from './engine.harness.js';
import { engineLimitsContract } from './engine.limits.js';
import { engineMaintenanceContract } from './engine.maintenance.js';
import { engineRecoveryContract } from './engine.recovery.js';

export type { EngineFactory, EngineFixture } from './engine.harness.js';
export { SUITE_CONFIG } from './engine.harness.js';
export {
  engineCancelContract,
  engineEventsContract,
  engineFlowContract,
  engineLimitsContract,
  engineMaintenanceContract,
  engineRecoveryContract,
};

/** Runs every engine group on adapters from `factory` (each test gets a fresh set). */
export function engineContract(name: string, factory: EngineFactory): void {
  engineFlowContract(name, factory);
  engineCancelContract(name, factory);
  engineRecoveryContract(name, factory);
  engineLimitsContract(name, factory);
  engineEventsContract(name, factory);
  engineMaintenanceContract(name, factory);
}
