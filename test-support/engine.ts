/**
 * A real engine for end-to-end tests: PostgreSQL (a schema of its own on the test server),
 * Redis (a key prefix of its own) and S3 (an object prefix of its own on an s3rver).
 *
 * - `engineServers()` describes where the three stores are (`EngineTarget`); it travels to
 *   worker processes as environment variables (`targetToEnv` / `targetFromEnv`).
 * - `realAdapters(target)` opens the three adapter sets, migrates the schema and returns the
 *   `DalstonAdapters` plus a `close()` for what it opened.
 * - `inspectTarget(target)` reads the stores raw (SQL on the schema, S3 listing, Redis keys),
 *   for assertions that do not trust the engine under test.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { postgresAdapters } from '@dalston/adapter-postgres';
import { KeyLayout, redisAdapters } from '@dalston/adapter-redis';
import { s3Adapters } from '@dalston/adapter-s3';
import { type DalstonAdapters, systemClock } from '@dalston/core';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { s3ClientFor } from './s3.js';

export interface EngineTarget {
  databaseUrl: string;
  schema: string;
  /** application_name of the engine's pool (fault tests find its backends by it). */
  applicationName: string;
  redisUrl: string;
  redisPrefix: string;
  s3Endpoint: string;
  s3Bucket: string;
  s3Prefix: string;
  /**
   * Optional Redis topology instead of `redisUrl` (which then only names a server for
   * logs): a Sentinel set (`host:port,…` and the master group name) or Cluster seed nodes.
   */
  redisSentinels?: string;
  redisSentinelName?: string;
  redisClusterNodes?: string;
}

const rand = () => randomBytes(5).toString('hex');

/** A fresh schema, Redis prefix and S3 prefix on the given servers. */
export function newTarget(servers: {
  databaseUrl: string;
  redisUrl: string;
  s3Endpoint: string;
  s3Bucket: string;
  label?: string;
}): EngineTarget {
  const id = `${(servers.label ?? 'e2e').toLowerCase().replace(/[^a-z0-9]/g, '_')}_${rand()}`;
  return {
    databaseUrl: servers.databaseUrl,
    schema: `t_${id}`.slice(0, 60),
    applicationName: `dalston-${id}`.slice(0, 60),
    redisUrl: servers.redisUrl,
    redisPrefix: `e2e-${id}`.slice(0, 60),
    s3Endpoint: servers.s3Endpoint,
    s3Bucket: servers.s3Bucket,
    s3Prefix: `e2e/${id}`,
  };
}

const ENV = {
  databaseUrl: 'DALSTON_E2E_DATABASE_URL',
  schema: 'DALSTON_E2E_SCHEMA',
  applicationName: 'DALSTON_E2E_APPLICATION_NAME',
  redisUrl: 'DALSTON_E2E_REDIS_URL',
  redisPrefix: 'DALSTON_E2E_REDIS_PREFIX',
  s3Endpoint: 'DALSTON_E2E_S3_ENDPOINT',
  s3Bucket: 'DALSTON_E2E_S3_BUCKET',
  s3Prefix: 'DALSTON_E2E_S3_PREFIX',
  redisSentinels: 'DALSTON_E2E_REDIS_SENTINELS',
  redisSentinelName: 'DALSTON_E2E_REDIS_SENTINEL_NAME',
  redisClusterNodes: 'DALSTON_E2E_REDIS_CLUSTER_NODES',
} as const satisfies Record<keyof EngineTarget, string>;

const OPTIONAL = new Set<string>(['redisSentinels', 'redisSentinelName', 'redisClusterNodes']);

export function targetToEnv(t: EngineTarget): Record<string, string> {
  return Object.fromEntries(
    Object.entries(ENV)
      .filter(([k]) => t[k as keyof EngineTarget] !== undefined)
      .map(([k, v]) => [v, t[k as keyof EngineTarget]!]),
  );
}

const nodeList = (s: string) =>
  s.split(',').map((hp) => {
    const [host, port] = hp.split(':');
    return { host: host!, port: Number(port) };
  });

/** The adapter's connection options for the target's Redis (URL, Sentinel set or Cluster). */
export function redisConnectionOf(target: EngineTarget):
  | { url: string }
  | { sentinel: { sentinels: { host: string; port: number }[]; name: string } }
  | {
      cluster: { nodes: { host: string; port: number }[] };
    } {
  if (target.redisSentinels) {
    return { sentinel: { sentinels: nodeList(target.redisSentinels), name: target.redisSentinelName ?? '' } };
  }
  if (target.redisClusterNodes) return { cluster: { nodes: nodeList(target.redisClusterNodes) } };
  return { url: target.redisUrl };
}

/** A raw client on the target's Redis (the current primary of a Sentinel set; a Cluster client). */
export function rawRedisOf(target: EngineTarget, url = target.redisUrl): Redis | Cluster {
  const options = { maxRetriesPerRequest: 1 };
  if (target.redisSentinels) {
    return new Redis({
      ...options,
      sentinels: nodeList(target.redisSentinels),
      name: target.redisSentinelName,
    });
  }
  if (target.redisClusterNodes)
    return new Cluster(nodeList(target.redisClusterNodes), { redisOptions: options });
  return new Redis(url, { ...options, lazyConnect: false });
}

export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const out: Partial<EngineTarget> = {};
  for (const [k, v] of Object.entries(ENV)) {
    const value = env[v];
    if (!value && OPTIONAL.has(k)) continue;
    if (!value) throw new Error(`missing ${v}`);
    out[k as keyof EngineTarget] = value;
  }
  return out as EngineTarget;
}

export interface RealAdapters {
  adapters: DalstonAdapters;
  /** The Redis client the ports share (for raw reads in the same process). */
  redis: Redis;
  /** Closes the three adapter sets (idempotent). The engine may close the ports first. */
  close(): Promise<void>;
}

/** Opens PostgreSQL + Redis + S3 adapters on `target` and migrates the schema. */
export async function realAdapters(
  target: EngineTarget,
  options: { pgMax?: number; commandTimeoutMs?: number } = {},
): Promise<RealAdapters> {
  const postgres = postgresAdapters({
    connectionString: target.databaseUrl,
    schema: target.schema,
    applicationName: target.applicationName,
    max: options.pgMax ?? 5,
    connectionTimeoutMillis: 3_000,
  });
  const redis = redisAdapters({
    ...redisConnectionOf(target),
    prefix: target.redisPrefix,
    commandTimeoutMs: options.commandTimeoutMs ?? 1_000,
  });
  const s3 = s3Adapters({
    endpoint: target.s3Endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    checksums: 'when-required',
    bucket: target.s3Bucket,
    prefix: target.s3Prefix,
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 10_000,
    maxAttempts: 2,
    capabilities: { abortStaleUploads: false },
  });
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      await redis.close().catch(() => undefined);
      await postgres.close().catch(() => undefined);
      await s3.close().catch(() => undefined);
    })();
    return closed;
  };
  try {
    await postgres.migrate();
  } catch (e) {
    await close();
    throw e;
  }
  const adapters: DalstonAdapters = {
    jobStore: postgres.jobStore,
    tenantStore: postgres.tenantStore,
    apiKeyStore: postgres.apiKeyStore,
    sessionArchive: postgres.sessionArchive,
    workQueue: redis.workQueue,
    sessionStore: redis.sessionStore,
    rateLimitStore: redis.rateLimitStore,
    eventBus: redis.eventBus,
    artifactStore: s3.artifactStore,
    clock: systemClock,
  };
  return { adapters, redis: redis.client as Redis, close };
}

export interface TaskRow {
  id: string;
  job_id: string;
  stage: string;
  status: string;
  attempt: number;
  error: { code?: string; message?: string } | null;
  output: unknown;
}

export interface Inspector {
  sql<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** `schema.table` for SQL text. */
  t(table: string): string;
  jobs(): Promise<{ id: string; status: string; error: unknown }[]>;
  tasks(): Promise<TaskRow[]>;
  /** task id -> number of `task.completed` events in the log. */
  completionsPerTask(): Promise<Map<string, number>>;
  /** Every object key in the target's S3 prefix (without the prefix). */
  objectKeys(): Promise<string[]>;
  /** Holders in the tenant's concurrent-job slot set, read raw from Redis. */
  slotHolders(tenantId: string): Promise<string[]>;
  /** Drops the schema and the Redis keys; closes the raw connections. */
  cleanup(options?: { redis?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export function inspectTarget(target: EngineTarget, redisUrl = target.redisUrl): Inspector {
  const pool = new pg.Pool({ connectionString: target.databaseUrl, max: 2 });
  pool.on('error', () => {});
  const s3: S3Client = s3ClientFor(target.s3Endpoint, 'us-east-1', {
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  let redis: Redis | Cluster | null = null;
  const raw = () => {
    if (!redis) {
      redis = rawRedisOf(target, redisUrl);
      redis.on('error', () => {}); // once per connection, not per call
    }
    return redis;
  };
  const t = (table: string) => `"${target.schema}".${table}`;
  const sql = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await pool.query<R>(text, values)).rows;
  const close = async () => {
    s3.destroy();
    redis?.disconnect();
    await pool.end().catch(() => undefined);
  };
  return {
    sql,
    t,
    jobs: () => sql(`SELECT id, status, error FROM ${t('jobs')} ORDER BY id`),
    tasks: () =>
      sql<TaskRow>(`SELECT id, job_id, stage, status, attempt, error, output FROM ${t('tasks')} ORDER BY id`),
    completionsPerTask: async () => {
      const rows = await sql<{ task_id: string; n: string }>(
        `SELECT task_id, count(*) AS n FROM ${t('events')} WHERE type = 'task.completed' GROUP BY task_id`,
      );
      return new Map(rows.map((r) => [r.task_id, Number(r.n)]));
    },
    objectKeys: async () => {
      const keys: string[] = [];
      const prefix = `${target.s3Prefix}/`;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: target.s3Bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(prefix.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    slotHolders: async (tenantId) =>
      raw().zrange(new KeyLayout(target.redisPrefix).slots(`tenant:${tenantId}:jobs`), 0, -1),
    cleanup: async (options = {}) => {
      await pool.query(`DROP SCHEMA IF EXISTS "${target.schema}" CASCADE`).catch(() => undefined);
      if (options.redis !== false) {
        const r = raw();
        const keys = await r.keys(`{${target.redisPrefix}:*`).catch(() => [] as string[]);
        if (keys.length > 0) await r.del(...keys).catch(() => undefined);
      }
      await close();
    },
    close,
  };
}
