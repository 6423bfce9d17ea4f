/**
 * Wires the engine-wide observable metrics: the queue depth gauge reads `WorkQueue.stats`
 * of every queue the engine knows (configured, and those of its workers) at each metric
 * collection, and stops reading when the engine closes.
 */
import type { WorkQueue } from '../../ports/work-queue.js';
import { TOKENS } from '../../tokens.js';
import type { DependencyContainer } from '../wiring/di.js';
import type { EngineRuntime } from '../wiring/runtime.js';
import type { Telemetry } from './telemetry.js';

export function instrumentEngine(c: DependencyContainer): void {
  const telemetry = c.resolve<Telemetry>(TOKENS.telemetry);
  const runtime = c.resolve<EngineRuntime>(TOKENS.runtime);
  const workQueue = c.resolve<WorkQueue>(TOKENS.workQueue);
  const stop = telemetry.observeQueueDepth(
    () => (runtime.closed ? [] : runtime.queues),
    (queue) => workQueue.stats(queue),
  );
  runtime.closables.add({
    close: async () => {
      stop();
    },
  });
}
