/**
 * Options of the Redis adapter, validated with zod. Exactly one of: a ready `client` (the
 * host's `Redis` or `Cluster`, which the adapter never closes), a `url` (one server), a
 * `sentinel` set or a `cluster` (the adapter opens and closes the connection; see
 * connection.ts for how those connections fail fast and follow failovers). Validation
 * messages name the option, never its value (passwords).
 */
import type { Logger } from '@dalston/core/adapter';
import { DalstonError, silentLogger } from '@dalston/core/adapter';
import { z } from 'zod';
import {
  openCluster,
  openSentinel,
  openUrl,
  type RedisClusterOptions,
  type RedisSentinelOptions,
} from './connection.js';
import type { RedisClient } from './scripts.js';

export interface RedisAdapterCommonOptions {
  /** Key prefix (default `dalston`): letters, digits, `_`, `-`, `.` and `:`; no braces. */
  prefix?: string;
  /** Structured logger for warnings (malformed pub/sub messages, corrupt entries). */
  logger?: Logger;
  /** Per-command timeout for connections the adapter opens, ms (default 1000). */
  commandTimeoutMs?: number;
}

export type RedisAdapterOptions = RedisAdapterCommonOptions &
  (
    | { client: RedisClient }
    | { url: string }
    | { sentinel: RedisSentinelOptions }
    | { cluster: RedisClusterOptions }
  );

const TOPOLOGIES = ['client', 'url', 'sentinel', 'cluster'] as const;

export interface ResolvedOptions {
  client: RedisClient;
  /** True when the adapter opened the client (and so closes it). */
  ownsClient: boolean;
  prefix: string;
  logger: Logger;
}

const isClient = (v: unknown): v is RedisClient =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { evalsha?: unknown }).evalsha === 'function' &&
  typeof (v as { duplicate?: unknown }).duplicate === 'function';

const PREFIX = /^[A-Za-z0-9_.-][A-Za-z0-9_.:-]{0,63}$/;

const common = {
  prefix: z
    .string()
    .regex(PREFIX, 'must be 1-64 characters of letters, digits, _ - . : (no braces, no spaces)')
    .default('dalston'),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'warn' in v).optional(),
  commandTimeoutMs: z.int().min(10).max(60_000).optional(),
};

const address = z.object({
  host: z.string().min(1, 'must be a non-empty host name'),
  port: z.int().min(1).max(65_535),
});
const nodes = (what: string) => z.array(address).min(1, `must list at least one ${what} { host, port }`);
const secret = z.string().min(1, 'must be a non-empty string').optional();

const sentinelSchema = z.strictObject({
  sentinels: nodes('sentinel'),
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]{1,64}$/,
      'must be the master group name the sentinels monitor (letters, digits, _ - .)',
    ),
  sentinelPassword: secret,
  sentinelUsername: secret,
  password: secret,
  username: secret,
  db: z.int().min(0).max(65_535).optional(),
  tls: z.boolean().optional(),
});

const clusterSchema = z.strictObject({
  nodes: nodes('cluster node'),
  password: secret,
  username: secret,
  tls: z.boolean().optional(),
});

const schemas = {
  client: z.object({
    ...common,
    client: z.custom<RedisClient>(isClient, {
      message: 'must be an ioredis Redis or Cluster instance',
    }),
  }),
  url: z.object({
    ...common,
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .refine(isConnectableUrl, 'must be a valid redis:// URL with an optional numeric database path'),
  }),
  sentinel: z.object({ ...common, sentinel: sentinelSchema }),
  cluster: z.object({ ...common, cluster: clusterSchema }),
} as const;

/** Parses options, throwing VALIDATION_FAILED with the option's name and how to fix it. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const given = typeof input === 'object' && input !== null ? TOPOLOGIES.filter((t) => t in input) : [];
  if (given.length !== 1) {
    const how =
      'pass one of { client } (an ioredis Redis or Cluster), { url } (redis://…), ' +
      '{ sentinel: { sentinels, name } } or { cluster: { nodes } }';
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/adapter-redis: options: ${how}${given.length > 1 ? `; got ${given.join(' and ')}` : ''}`,
      { field: given.length > 1 ? given[1]! : 'options' },
    );
  }
  const parsed = schemas[given[0]!].safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'options';
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/adapter-redis: option ${field} ${issue?.message ?? 'is invalid'}`,
      { field },
    );
  }
  const o = parsed.data;
  const logger = o.logger ?? silentLogger;
  if ('client' in o) return { client: o.client, ownsClient: false, prefix: o.prefix, logger };
  const client =
    'url' in o
      ? openUrl(o.url, o.commandTimeoutMs)
      : 'sentinel' in o
        ? openSentinel(o.sentinel, o.commandTimeoutMs)
        : openCluster(o.cluster, o.commandTimeoutMs);
  client.on('error', (err) => logger.warn('redis connection error', { error: String(err?.message ?? err) }));
  return { client, ownsClient: true, prefix: o.prefix, logger };
}

/** True when `url` parses and its path is empty or a database number (never throws). */
function isConnectableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return /^(\/\d{0,5})?$/.test(u.pathname);
  } catch {
    return false;
  }
}
