import { memoryAdapters } from '@dalston/adapter-memory';
import { ManualClock } from '@dalston/core/adapter';
import { engineContract } from '@dalston/core/contract';

engineContract('memory', async () => {
  const clock = new ManualClock();
  return {
    adapters: memoryAdapters({ clock }),
    time: { now: () => clock.now(), advance: (ms) => clock.advance(ms) },
    cleanup: async () => {},
  };
});
