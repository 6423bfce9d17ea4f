import { sessionStoreContract } from '@dalston/core/contract';
import { MemorySessionStore } from '../src/session-store.js';
import { manualFactory } from './manual-time.js';

sessionStoreContract(
  'memory',
  manualFactory((clock) => new MemorySessionStore({ clock })),
);
