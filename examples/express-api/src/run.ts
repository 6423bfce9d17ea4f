/**
 * Starts the whole host: engine, optional in-process worker, optional bootstrap tenant,
 * and the HTTP server. Used by `server.ts` and by the tests (port 0).
 */
import type { AddressInfo } from 'node:net';
import type { DalstonConfigInput, Logger, Worker } from '@dalston/core';
import { createApp } from './app.js';
import { type Bootstrapped, bootstrapTenant } from './bootstrap.js';
import type { AppOptions } from './config.js';
import { buildEngine, type Engine } from './engine.js';
import { createHandlers } from './handlers.js';
import { unwrap } from './problem.js';

export interface RunOptions {
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  app?: Partial<AppOptions>;
  config?: DalstonConfigInput;
  logger?: Logger;
  /** Run a worker in this process. Default true. */
  inlineWorker?: boolean;
  stageDelayMs?: number;
  /** Create this tenant (if missing) and a new admin key. Memory mode default: `demo`. */
  bootstrapTenant?: string | null;
}

export interface RunningApi {
  url: string;
  engine: Engine;
  worker: Worker | null;
  bootstrap: Bootstrapped | null;
  close(): Promise<void>;
}

/** Concurrency of the in-process worker and of `worker.ts`. */
export const WORKER_CONCURRENCY = 8;

export function startWorker(engine: Engine, stageDelayMs: number): Worker {
  return engine.dalston.createWorker({
    handlers: { transcribe: createHandlers(engine.dalston, stageDelayMs) },
    concurrency: WORKER_CONCURRENCY,
  });
}

export async function startApi(options: RunOptions = {}): Promise<RunningApi> {
  const engine = await buildEngine({
    ...(options.env ? { env: options.env } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    // Request-rate limits fail open (a fallback limiter decides while Redis is down);
    // the concurrent-job limit fails closed.
    config: { rateLimitFailure: { default: 'fail-closed', requests: 'fail-open' }, ...options.config },
  });
  try {
    const worker = options.inlineWorker === false ? null : startWorker(engine, options.stageDelayMs ?? 200);
    // The process that runs a worker also runs maintenance (reconcile, event relay, purge,
    // sweeps); any number of processes may, each pass runs in one at a time.
    if (worker) await unwrap(engine.dalston.maintenance.start({ intervalMs: 5_000 }));
    const tenant =
      options.bootstrapTenant === undefined
        ? engine.mode === 'memory'
          ? 'demo'
          : null
        : options.bootstrapTenant;
    const bootstrap = tenant ? await bootstrapTenant(engine.dalston, tenant) : null;
    const app = createApp({
      dalston: engine.dalston,
      logger: engine.logger,
      metrics: engine.metrics,
      ...(options.app ? { options: options.app } : {}),
    });
    const server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    let closing: Promise<void> | undefined;
    return {
      url: `http://127.0.0.1:${port}`,
      engine,
      worker,
      bootstrap,
      close: () => {
        closing ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          await engine.dalston.maintenance.stop();
          await engine.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
