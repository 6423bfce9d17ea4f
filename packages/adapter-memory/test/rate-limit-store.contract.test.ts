import { rateLimitStoreContract } from '@dalston/core/contract';
import { MemoryRateLimitStore } from '../src/rate-limit-store.js';
import { manualFactory } from './manual-time.js';

rateLimitStoreContract(
  'memory',
  manualFactory((clock) => new MemoryRateLimitStore({ clock })),
);
