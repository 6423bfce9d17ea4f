/** The WorkQueue contract: every behaviour group, for one adapter. */
import type { WorkQueue } from '../ports/work-queue.js';
import { guardedFactory, type PortFactory } from './fixture.js';
import { randomName } from './harness.js';
import { portLifecycleContract } from './lifecycle.js';
import { workQueueAckLeaseContract } from './work-queue.ack-lease.js';
import { workQueueBasicsContract } from './work-queue.basics.js';
import { workQueueBlockingContract } from './work-queue.blocking.js';
import { workQueueDeadLetterPagesContract } from './work-queue.dead-letter-pages.js';
import { workQueueDeadLettersContract } from './work-queue.dead-letters.js';
import { workQueueLeasesContract } from './work-queue.leases.js';
import { queueMessage } from './work-queue.messages.js';
import { workQueueQueueNamesContract } from './work-queue.queue-names.js';

export {
  workQueueAckLeaseContract,
  workQueueBasicsContract,
  workQueueBlockingContract,
  workQueueDeadLetterPagesContract,
  workQueueDeadLettersContract,
  workQueueLeasesContract,
  workQueueQueueNamesContract,
};

/** Runs every WorkQueue group against fresh ports from `factory`. */
export function workQueueContract(name: string, unguarded: PortFactory<WorkQueue>): void {
  // The port behind core's guard, as createDalston uses it: the checks tested are core's.
  const factory = guardedFactory('workQueue', unguarded);
  portLifecycleContract(
    name,
    'workQueue',
    factory,
    {
      operation: 'enqueue',
      call: (q) => q.enqueue([queueMessage(randomName('q'))]),
    },
    { operation: 'stats', call: (q) => q.stats(randomName('q')) },
  );
  workQueueBasicsContract(name, factory);
  workQueueLeasesContract(name, factory);
  workQueueBlockingContract(name, factory);
  workQueueAckLeaseContract(name, factory);
  workQueueDeadLettersContract(name, factory);
  workQueueDeadLetterPagesContract(name, factory);
  workQueueQueueNamesContract(name, factory);
}
