/** Registers the four published contract suites against one Redis target. */
import {
  eventBusContract,
  rateLimitStoreContract,
  sessionStoreContract,
  workQueueContract,
} from '@dalston/core/contract';
import { RedisEventBus, RedisRateLimitStore, RedisSessionStore, RedisWorkQueue } from '../src/index.js';
import { portFactory, type TestTarget } from './support.js';

export function redisContractSuites(target: TestTarget): void {
  const label = target.name;
  workQueueContract(
    label,
    portFactory(target, 'wq', (client, prefix) => new RedisWorkQueue({ client, prefix })),
  );
  sessionStoreContract(
    label,
    portFactory(target, 'ss', (client, prefix) => new RedisSessionStore({ client, prefix })),
  );
  rateLimitStoreContract(
    label,
    portFactory(target, 'rl', (client, prefix) => new RedisRateLimitStore({ client, prefix })),
  );
  eventBusContract(
    label,
    portFactory(target, 'eb', (client, prefix) => new RedisEventBus({ client, prefix })),
  );
}
