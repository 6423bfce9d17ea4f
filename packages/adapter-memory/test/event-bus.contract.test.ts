import { eventBusContract } from '@dalston/core/contract';
import { MemoryEventBus } from '../src/event-bus.js';
import { manualFactory } from './manual-time.js';

eventBusContract(
  'memory',
  manualFactory((clock) => new MemoryEventBus({ clock })),
);
