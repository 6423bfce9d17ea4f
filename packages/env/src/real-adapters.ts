/**
 * Opens the PostgreSQL + Redis + S3 adapter sets for a parsed environment. The adapter
 * modules (and so pg, ioredis and the AWS SDK) are loaded here with dynamic imports, only
 * when the real stores are asked for: a memory-only host never loads a driver.
 */
import type { DalstonAdapters, Logger } from '@dalston/core/adapter';
import { DalstonError, isDalstonError, systemClock } from '@dalston/core/adapter';
import type { DalstonEnv } from './env-schema.js';

/** The real adapters as one `DalstonAdapters`, with the closer of what was opened. */
export interface RealAdapters {
  adapters: DalstonAdapters;
  /** Closes the three adapter sets (their pool, clients and connections). Idempotent. */
  close(): Promise<void>;
}

/** Adapter option → environment variable, per store, for errors raised by the adapters. */
const VARIABLE_OF_OPTION: Record<'postgres' | 'redis' | 's3', Record<string, string>> = {
  postgres: { connectionString: 'DALSTON_DATABASE_URL', schema: 'DALSTON_DATABASE_SCHEMA' },
  redis: {
    url: 'DALSTON_REDIS_URL',
    sentinel: 'DALSTON_REDIS_SENTINELS',
    cluster: 'DALSTON_REDIS_CLUSTER_NODES',
    prefix: 'DALSTON_REDIS_PREFIX',
  },
  s3: {
    bucket: 'DALSTON_S3_BUCKET',
    prefix: 'DALSTON_S3_PREFIX',
    region: 'DALSTON_S3_REGION',
    endpoint: 'DALSTON_S3_ENDPOINT',
    credentials: 'DALSTON_S3_ACCESS_KEY_ID',
  },
};

/**
 * Builds the three adapter sets from `env` and, when `migrate` is true, applies pending
 * PostgreSQL migrations. On any failure everything opened so far is closed before the
 * error is rethrown.
 *
 * @throws DalstonError `VALIDATION_FAILED` naming the variable when an adapter refuses a
 *   value; the migration's own error when migrating fails.
 */
export async function openRealAdapters(
  env: DalstonEnv,
  logger: Logger | undefined,
  migrate: boolean,
): Promise<RealAdapters> {
  const [postgresModule, redisModule, s3Module] = await Promise.all([
    import('@dalston/adapter-postgres'),
    import('@dalston/adapter-redis'),
    import('@dalston/adapter-s3'),
  ]);
  const closers: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= Promise.allSettled(closers.map((c) => c())).then(() => undefined);
    return closing;
  };
  try {
    const pg = asVariableError('postgres', () =>
      postgresModule.postgresAdapters({
        connectionString: env.DALSTON_DATABASE_URL,
        schema: env.DALSTON_DATABASE_SCHEMA,
      }),
    );
    closers.push(pg.close);
    const s3 = asVariableError('s3', () => s3Module.s3Adapters(s3Options(env)));
    closers.push(s3.close);
    // Last: the Redis client connects as soon as it exists; the others connect on first use,
    // so an option refused above leaves nothing opened.
    const redis = asVariableError('redis', () =>
      redisModule.redisAdapters({
        ...redisConnection(env),
        prefix: env.DALSTON_REDIS_PREFIX,
        ...(logger ? { logger } : {}),
      }),
    );
    closers.push(redis.close);
    if (migrate) await pg.migrate();
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
    return { adapters, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Where Redis is: the URL, the Sentinel set or the Cluster the environment names (exactly one). */
export function redisConnection(env: DalstonEnv) {
  const password = env.DALSTON_REDIS_PASSWORD ? { password: env.DALSTON_REDIS_PASSWORD } : {};
  const tls = env.DALSTON_REDIS_TLS === '1' ? { tls: true } : {};
  if (env.DALSTON_REDIS_SENTINELS) {
    return {
      sentinel: {
        sentinels: env.DALSTON_REDIS_SENTINELS,
        name: env.DALSTON_REDIS_SENTINEL_NAME ?? '',
        ...(env.DALSTON_REDIS_SENTINEL_PASSWORD
          ? { sentinelPassword: env.DALSTON_REDIS_SENTINEL_PASSWORD }
          : {}),
        ...password,
        ...tls,
      },
    };
  }
  if (env.DALSTON_REDIS_CLUSTER_NODES) {
    return { cluster: { nodes: env.DALSTON_REDIS_CLUSTER_NODES, ...password, ...tls } };
  }
  return { url: env.DALSTON_REDIS_URL ?? '' };
}

function s3Options(env: DalstonEnv) {
  return {
    bucket: env.DALSTON_S3_BUCKET,
    region: env.DALSTON_S3_REGION,
    prefix: env.DALSTON_S3_PREFIX,
    forcePathStyle: env.DALSTON_S3_FORCE_PATH_STYLE === '1',
    checksums: env.DALSTON_S3_CHECKSUMS,
    capabilities: { abortStaleUploads: env.DALSTON_S3_ABORT_STALE_UPLOADS === '1' },
    ...(env.DALSTON_S3_ENDPOINT ? { endpoint: env.DALSTON_S3_ENDPOINT } : {}),
    ...(env.DALSTON_S3_ACCESS_KEY_ID && env.DALSTON_S3_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.DALSTON_S3_ACCESS_KEY_ID,
            secretAccessKey: env.DALSTON_S3_SECRET_ACCESS_KEY,
          },
        }
      : {}),
  };
}

/** Runs an adapter factory; an option it refuses is reported as the variable it came from. */
function asVariableError<T>(store: keyof typeof VARIABLE_OF_OPTION, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!isDalstonError(err) || err.code !== 'VALIDATION_FAILED' || !err.field) throw err;
    const option = err.field.replace(/^options\./, '').split('.')[0]!;
    const variable = VARIABLE_OF_OPTION[store][option];
    if (!variable) throw err;
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/env: environment variable ${variable}: ${err.message}`,
      {
        field: variable,
        cause: err,
      },
    );
  }
}
