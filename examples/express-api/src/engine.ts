/**
 * Builds the engine from the environment with `adaptersFromEnv()` (`@dalston/env`): the
 * in-memory set by default; PostgreSQL + Redis + S3 when `DALSTON_DATABASE_URL`,
 * `DALSTON_REDIS_URL` and `DALSTON_S3_BUCKET` are set (all three, or none: a
 * half-configured real set is refused at start). See the package README for every variable.
 */
import {
  createDalston,
  type Dalston,
  type DalstonAdapters,
  type DalstonConfigInput,
  jsonLogger,
  type Logger,
  silentLogger,
} from '@dalston/core';
import { adaptersFromEnv } from '@dalston/env';
import { type Metrics, prometheusMetrics } from './metrics.js';
import { type Jobs, jobs } from './pipeline.js';

export interface Engine {
  /** Typed by the example's job types (`submit` parameters, worker handlers). */
  dalston: Dalston<Jobs>;
  /** The artifact store in use (the routes go through `dalston.artifacts`; tests read it directly). */
  artifactStore: DalstonAdapters['artifactStore'];
  mode: 'memory' | 'real';
  logger: Logger;
  /** The engine's metrics, served at GET /metrics in the Prometheus format. */
  metrics: Metrics;
  /** Closes the engine, which owns the stores: the connections the adapters opened end with it. */
  close(): Promise<void>;
}

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  config?: DalstonConfigInput;
  logger?: Logger;
  /** Run pending PostgreSQL migrations at start (real mode). Default true. */
  migrate?: boolean;
}

export async function buildEngine(options: EngineOptions = {}): Promise<Engine> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? (env.DALSTON_LOG === '0' ? silentLogger : jsonLogger());
  const stores = await adaptersFromEnv({
    env,
    logger,
    ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
  });
  return assemble(stores.mode, stores.adapters, options, logger, stores.close);
}

function assemble(
  mode: Engine['mode'],
  adapters: DalstonAdapters,
  options: EngineOptions,
  logger: Logger,
  closeConnections: () => Promise<void>,
): Engine {
  const metrics = prometheusMetrics();
  const dalston = createDalston({
    adapters,
    jobs,
    logger,
    config: { queues: ['audio', 'asr'], ...options.config },
    owns: [{ close: closeConnections }, metrics],
    telemetry: { meterProvider: metrics.meterProvider },
  });
  return {
    dalston,
    artifactStore: adapters.artifactStore,
    mode,
    logger,
    metrics,
    close: () => dalston.close({ deadlineMs: 5_000 }),
  };
}
