import { tenantStoreContract } from '@dalston/core/contract';
import { MemoryTenantStore } from '../src/tenant-store.js';
import { memoryFixture } from './memory-fixtures.js';

tenantStoreContract(
  'memory',
  memoryFixture(() => new MemoryTenantStore()),
);
