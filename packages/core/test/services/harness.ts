/** A whole engine on the memory set with a manual clock, for service tests. */
import { memoryAdapters } from '@dalston/adapter-memory';
import { ManualClock, type StoreName, storeUnavailable, timeOrderedIds } from '@dalston/core/adapter';
import { pollUntil } from '../../../../test-support/poll.js';
import type { DalstonConfigInput } from '../../src/config.js';
import { createDalston, type Dalston } from '../../src/create-dalston.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Pipeline } from '../../src/services/jobs/pipeline.js';
import type { DalstonAdapters } from '../../src/services/wiring/adapters.js';

export interface Harness {
  dalston: Dalston;
  adapters: DalstonAdapters;
  clock: ManualClock;
  tenantId: string;
  /** Moves the manual clock, letting timers and promise callbacks run. */
  advance(ms: number): Promise<void>;
}

export const diamond: Pipeline = {
  build: () => [
    { stage: 'prepare', queue: 'audio' },
    { stage: 'transcribe', queue: 'asr', dependsOn: ['prepare'] },
    { stage: 'diarize', queue: 'asr', dependsOn: ['prepare'] },
    { stage: 'merge', queue: 'audio', dependsOn: ['transcribe', 'diarize'] },
  ],
};

export async function harness(
  options: {
    pipeline?: Pipeline;
    config?: DalstonConfigInput;
    tenantLimits?: Record<string, unknown>;
    /** Replaces some adapters (e.g. with `breakable` wrappers). */
    wrap?: (adapters: DalstonAdapters) => DalstonAdapters;
    logger?: Logger;
  } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const base: DalstonAdapters = memoryAdapters({ clock });
  const adapters = options.wrap ? options.wrap(base) : base;
  const dalston = createDalston({
    adapters,
    pipeline: options.pipeline ?? diamond,
    config: options.config,
    ids: timeOrderedIds(() => clock.now()),
    random: () => 0.5,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const tenantId = 'acme';
  (
    await dalston.tenants.create({ id: tenantId, name: 'Acme', limits: options.tenantLimits ?? {} })
  )._unsafeUnwrap();
  return { dalston, adapters, clock, tenantId, advance: (ms) => clock.advance(ms) };
}

/** Waits (real time, in small steps) until `check` holds; fails after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<void> {
  await pollUntil(check, { timeoutMs, what, everyMs: 2 });
}

/** Wraps a port so every method rejects with STORE_UNAVAILABLE while `switch.down` is true. */
export function breakable<T extends object>(
  port: T,
  store: StoreName,
): { port: T; switch: { down: boolean } } {
  const sw = { down: false };
  const proxy = new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (sw.down)
          return Promise.reject(storeUnavailable(store, String(prop), new Error('connection refused')));
        return value.apply(target, args);
      };
    },
  });
  return { port: proxy, switch: sw };
}
