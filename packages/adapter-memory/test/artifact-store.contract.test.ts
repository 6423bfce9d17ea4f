import { artifactStoreContract } from '@dalston/core/contract';
import { MemoryArtifactStore } from '../src/artifact-store.js';
import { manualFactory } from './manual-time.js';

artifactStoreContract(
  'memory',
  manualFactory((clock) => new MemoryArtifactStore({ clock })),
);
