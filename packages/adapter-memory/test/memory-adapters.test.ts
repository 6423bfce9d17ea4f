import { ManualClock, memoryAdapters } from '@dalston/adapter-memory';
import { describe, expect, it } from 'vitest';

describe('memoryAdapters', () => {
  it('builds every port on one shared clock', async () => {
    const clock = new ManualClock();
    const a = memoryAdapters({ clock, artifacts: { bucket: 'demo', prefix: 'dev/' } });
    expect(a.clock).toBe(clock);
    expect(a.artifactStore.uriFor('tenants/t1/jobs/j1/input/a.wav')).toBe(
      'memory://demo/dev/tenants/t1/jobs/j1/input/a.wav',
    );
    const slot = await a.rateLimitStore.acquireSlot('k', 'h', 1, 100);
    expect(slot.acquired).toBe(true);
    await clock.advance(150);
    expect(await a.rateLimitStore.holders('k')).toEqual([]);
    const ports = [
      a.jobStore,
      a.tenantStore,
      a.apiKeyStore,
      a.sessionArchive,
      a.workQueue,
      a.sessionStore,
      a.rateLimitStore,
      a.eventBus,
      a.artifactStore,
    ];
    for (const port of ports) await expect(port.ping()).resolves.toBeUndefined();
  });
});
