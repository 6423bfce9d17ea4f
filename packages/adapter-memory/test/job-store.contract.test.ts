import { jobStoreContract } from '@dalston/core/contract';
import { MemoryJobStore } from '../src/job-store.js';
import { memoryFixture } from './memory-fixtures.js';

jobStoreContract(
  'memory',
  memoryFixture(
    (clock) => new MemoryJobStore({ clock }),
    (store) => store.close(),
  ),
);
