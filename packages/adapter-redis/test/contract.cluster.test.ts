/** The published contract suites on a three-master Redis Cluster started for this file. */
import { afterAll, beforeAll } from 'vitest';
import { redisContractSuites } from './contract-suites.js';
import { engineFlow } from './engine-flow.js';
import { redisCluster } from './support.js';

const target = redisCluster();
beforeAll(() => target.start(), 60_000);
afterAll(() => target.stop());

redisContractSuites(target);
engineFlow(target);
