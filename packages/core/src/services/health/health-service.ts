/**
 * health: each store's reachability and latency, from every port's `ping()` (a real round
 * trip that reads and writes no data).
 */
import { ResultAsync } from 'neverthrow';
import type { DalstonError } from '../../domain/errors.js';
import { toDalstonError } from '../../domain/errors.js';
import { TOKENS } from '../../tokens.js';
import { type DalstonAdapters, PORT_NAMES, type PortName } from '../wiring/adapters.js';

export interface StoreHealth {
  ok: boolean;
  latencyMs: number;
  error?: { code: string; message: string };
}

export interface HealthReport {
  ready: boolean;
  stores: Record<PortName, StoreHealth>;
}

const PROBE_TIMEOUT_MS = 5000;

export class HealthService {
  static readonly inject = [TOKENS.adapters] as const;

  constructor(private readonly adapters: Omit<DalstonAdapters, 'clock'>) {}

  /** Probes every store at once; `ready` when all answer. Never fails: a down store is reported. */
  check(): ResultAsync<HealthReport, DalstonError> {
    const run = async (): Promise<HealthReport> => {
      const entries = await Promise.all(PORT_NAMES.map(async (n) => [n, await this.probe(n)] as const));
      const stores = Object.fromEntries(entries) as Record<PortName, StoreHealth>;
      return { ready: entries.every(([, h]) => h.ok), stores };
    };
    return ResultAsync.fromSafePromise(run());
  }

  private async probe(name: PortName): Promise<StoreHealth> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.adapters[name].ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
          timer.unref?.();
        }),
      ]);
      return { ok: true, latencyMs: Math.round(performance.now() - started) };
    } catch (e) {
      const error = toDalstonError(e, 'STORE_UNAVAILABLE');
      return {
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        error: { code: error.code, message: error.message },
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
