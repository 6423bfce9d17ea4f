import { jobStoreContract } from '@dalston/core/contract';
import { PostgresJobStore } from '../src/job-store.js';
import { storeFactory, useFileDatabase } from './helpers.js';

const db = useFileDatabase('job_contract');

jobStoreContract(
  'postgres',
  storeFactory(
    () => new PostgresJobStore(db.shared()),
    (store) => store.close(),
  ),
);
