/**
 * Faults injected around an engine fixture's real adapters: every call goes through to
 * the real port, except the next call of a method a test armed, which rejects with
 * STORE_UNAVAILABLE (as an unreachable store reports it) without reaching the store.
 * The data stays the real store's; nothing is mocked.
 */
import { DalstonError, type StoreName } from '../domain/errors.js';
import type { EngineFactory } from './engine.harness.js';

export type FaultPort = 'jobStore' | 'workQueue' | 'rateLimitStore' | 'eventBus';

export interface Faults {
  factory: EngineFactory;
  /** The next call of `port.method` (whose arguments pass `match`) fails once. */
  failNext(port: FaultPort, method: string, match?: (args: unknown[]) => boolean): void;
  /** How many armed faults of `port.method` have fired. */
  fired(port: FaultPort, method: string): number;
}

export function withFaults(factory: EngineFactory): Faults {
  const armed = new Map<string, ((args: unknown[]) => boolean)[]>();
  const fired = new Map<string, number>();
  const take = (key: string, args: unknown[]): boolean => {
    const matches = armed.get(key) ?? [];
    const i = matches.findIndex((m) => m(args));
    if (i < 0) return false;
    matches.splice(i, 1);
    fired.set(key, (fired.get(key) ?? 0) + 1);
    return true;
  };
  const wrap = <T extends object>(port: FaultPort, inner: T): T =>
    new Proxy(inner, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        const key = `${port}.${String(prop)}`;
        return (...args: unknown[]) => {
          if (take(key, args)) {
            const error = new DalstonError('STORE_UNAVAILABLE', `${key} failed (injected fault)`, {
              store: port as StoreName,
              operation: String(prop),
            });
            return Promise.reject(error);
          }
          return value.apply(target, args);
        };
      },
    });
  return {
    factory: async () => {
      const fixture = await factory();
      const a = fixture.adapters;
      const adapters = {
        ...a,
        jobStore: wrap('jobStore', a.jobStore),
        workQueue: wrap('workQueue', a.workQueue),
        rateLimitStore: wrap('rateLimitStore', a.rateLimitStore),
        eventBus: wrap('eventBus', a.eventBus),
      };
      return { ...fixture, adapters };
    },
    failNext: (port, method, match = () => true) => {
      const key = `${port}.${method}`;
      armed.set(key, [...(armed.get(key) ?? []), match]);
    },
    fired: (port, method) => fired.get(`${port}.${method}`) ?? 0,
  };
}
