/**
 * Builds the engine from the environment: the in-memory set by default; PostgreSQL +
 * Redis + S3 when `DALSTON_DATABASE_URL`, `DALSTON_REDIS_URL` and `DALSTON_S3_BUCKET`
 * are set (all three, or none: a half-configured real set is refused at start).
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { redisAdapters } from '@dalston/adapter-redis';
import { s3Adapters } from '@dalston/adapter-s3';
import {
  type ArtifactStore,
  createDalston,
  type Dalston,
  type DalstonAdapters,
  type DalstonConfigInput,
  jsonLogger,
  type Logger,
  silentLogger,
  systemClock,
} from '@dalston/core';
import { z } from 'zod';
import { transcriptionPipeline } from './pipeline.js';

export interface Engine {
  dalston: Dalston;
  /** The artifact store in use (the result route asks it for URIs and presign support). */
  artifactStore: ArtifactStore;
  mode: 'memory' | 'real';
  logger: Logger;
  /** Closes the engine, then the connections the adapters opened. */
  close(): Promise<void>;
}

const realEnvSchema = z.object({
  DALSTON_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
  DALSTON_DATABASE_SCHEMA: z.string().default('dalston'),
  DALSTON_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis://…'),
  DALSTON_REDIS_PREFIX: z.string().default('dalston'),
  DALSTON_S3_BUCKET: z.string().min(3),
  DALSTON_S3_ENDPOINT: z.url().optional(),
  DALSTON_S3_REGION: z.string().default('us-east-1'),
  DALSTON_S3_PREFIX: z.string().default(''),
  DALSTON_S3_ACCESS_KEY_ID: z.string().optional(),
  DALSTON_S3_SECRET_ACCESS_KEY: z.string().optional(),
  DALSTON_S3_FORCE_PATH_STYLE: z.enum(['0', '1']).default('0'),
  /** `when-required` for servers that mishandle streamed checksums (s3rver). */
  DALSTON_S3_CHECKSUMS: z.enum(['when-required', 'when-supported']).default('when-supported'),
});
const REAL_VARS = ['DALSTON_DATABASE_URL', 'DALSTON_REDIS_URL', 'DALSTON_S3_BUCKET'] as const;

export interface EngineOptions {
  env?: NodeJS.ProcessEnv;
  config?: DalstonConfigInput;
  logger?: Logger;
  /** Run pending PostgreSQL migrations at start (real mode). Default true. */
  migrate?: boolean;
}

export async function buildEngine(options: EngineOptions = {}): Promise<Engine> {
  const env = options.env ?? process.env;
  const set = REAL_VARS.filter((v) => env[v]);
  const logger = options.logger ?? (env.DALSTON_LOG === '0' ? silentLogger : jsonLogger());
  if (set.length === 0) {
    const adapters = memoryAdapters();
    return assemble('memory', adapters, options, logger, async () => {});
  }
  if (set.length < REAL_VARS.length) {
    const missing = REAL_VARS.filter((v) => !env[v]).join(', ');
    throw new Error(`real stores need all of ${REAL_VARS.join(', ')}; missing ${missing}`);
  }
  const parsed = realEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  const pg = postgresAdapters({
    connectionString: e.DALSTON_DATABASE_URL,
    schema: e.DALSTON_DATABASE_SCHEMA,
  });
  const redis = redisAdapters({ url: e.DALSTON_REDIS_URL, prefix: e.DALSTON_REDIS_PREFIX, logger });
  const s3 = s3Adapters({
    bucket: e.DALSTON_S3_BUCKET,
    region: e.DALSTON_S3_REGION,
    prefix: e.DALSTON_S3_PREFIX,
    forcePathStyle: e.DALSTON_S3_FORCE_PATH_STYLE === '1',
    checksums: e.DALSTON_S3_CHECKSUMS,
    ...(e.DALSTON_S3_ENDPOINT ? { endpoint: e.DALSTON_S3_ENDPOINT } : {}),
    ...(e.DALSTON_S3_ACCESS_KEY_ID && e.DALSTON_S3_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: e.DALSTON_S3_ACCESS_KEY_ID,
            secretAccessKey: e.DALSTON_S3_SECRET_ACCESS_KEY,
          },
        }
      : {}),
  });
  const closeAll = async () => {
    await Promise.allSettled([pg.close(), redis.close(), s3.close()]);
  };
  try {
    if (options.migrate !== false) await pg.migrate();
  } catch (err) {
    await closeAll();
    throw err;
  }
  const adapters: DalstonAdapters = {
    jobStore: pg.jobStore,
    tenantStore: pg.tenantStore,
    apiKeyStore: pg.apiKeyStore,
    sessionArchive: pg.sessionArchive,
    workQueue: redis.workQueue,
    sessionStore: redis.sessionStore,
    rateLimitStore: redis.rateLimitStore,
    eventBus: redis.eventBus,
    artifactStore: s3.artifactStore,
    clock: systemClock,
  };
  return assemble('real', adapters, options, logger, closeAll);
}

function assemble(
  mode: Engine['mode'],
  adapters: DalstonAdapters,
  options: EngineOptions,
  logger: Logger,
  closeConnections: () => Promise<void>,
): Engine {
  const dalston = createDalston({
    adapters,
    pipeline: transcriptionPipeline,
    logger,
    config: { queues: ['audio', 'asr'], ...options.config },
  });
  return {
    dalston,
    artifactStore: adapters.artifactStore,
    mode,
    logger,
    close: async () => {
      await dalston.close({ deadlineMs: 5_000 });
      await closeConnections();
    },
  };
}
