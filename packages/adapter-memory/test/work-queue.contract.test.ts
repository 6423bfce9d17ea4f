import { workQueueContract } from '@dalston/core/contract';
import { MemoryWorkQueue } from '../src/work-queue.js';
import { manualFactory } from './manual-time.js';

workQueueContract(
  'memory',
  manualFactory((clock) => new MemoryWorkQueue({ clock })),
);
