/** The published contract suites on a single Redis (DALSTON_TEST_REDIS_URL or a container). */
import { afterAll, beforeAll } from 'vitest';
import { redisContractSuites } from './contract-suites.js';
import { engineFlow } from './engine-flow.js';
import { singleRedis } from './support.js';

const target = singleRedis();
beforeAll(() => target.start());
afterAll(() => target.stop());

redisContractSuites(target);
engineFlow(target);
