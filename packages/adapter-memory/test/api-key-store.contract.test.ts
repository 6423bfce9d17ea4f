import { apiKeyStoreContract } from '@dalston/core/contract';
import { MemoryApiKeyStore } from '../src/api-key-store.js';
import { memoryFixture } from './memory-fixtures.js';

apiKeyStoreContract(
  'memory',
  memoryFixture(() => new MemoryApiKeyStore()),
);
