import { apiKeyStoreContract, sessionArchiveContract, tenantStoreContract } from '@dalston/core/contract';
import { PostgresApiKeyStore } from '../src/api-key-store.js';
import { PostgresSessionArchive } from '../src/session-archive.js';
import { PostgresTenantStore } from '../src/tenant-store.js';
import { storeFactory, useFileDatabase } from './helpers.js';

const db = useFileDatabase('other_contract');

tenantStoreContract(
  'postgres',
  storeFactory(
    () => new PostgresTenantStore(db.shared()),
    (store) => store.close(),
  ),
);

apiKeyStoreContract(
  'postgres',
  storeFactory(
    () => new PostgresApiKeyStore(db.shared()),
    (store) => store.close(),
  ),
);

sessionArchiveContract(
  'postgres',
  storeFactory(
    () => new PostgresSessionArchive(db.shared()),
    (archive) => archive.close(),
  ),
);
