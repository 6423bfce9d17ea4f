/**
 * Options of the Redis adapter, validated with zod. Either a ready client (the host's
 * `Redis` or `Cluster`, which the adapter never closes) or a `url` (the adapter opens and
 * closes the connection). Connections the adapter opens fail fast: a command while Redis
 * is down rejects within about `commandTimeoutMs` instead of waiting in the offline
 * queue, and the client reconnects by itself with a capped backoff.
 */
import type { Logger } from '@dalston/core';
import { DalstonError, silentLogger } from '@dalston/core';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { RedisClient } from './scripts.js';

export interface RedisAdapterCommonOptions {
  /** Key prefix (default `dalston`): letters, digits, `_`, `-`, `.` and `:`; no braces. */
  prefix?: string;
  /** Structured logger for warnings (malformed pub/sub messages, corrupt entries). */
  logger?: Logger;
  /** Per-command timeout for connections the adapter opens, ms (default 1000). */
  commandTimeoutMs?: number;
}

export type RedisAdapterOptions = RedisAdapterCommonOptions & ({ client: RedisClient } | { url: string });

export interface ResolvedOptions {
  client: RedisClient;
  /** True when the adapter opened the client (and so closes it). */
  ownsClient: boolean;
  prefix: string;
  logger: Logger;
}

/** Settings that make ioredis fail fast and reconnect with a capped backoff. */
export function fastFailOptions(commandTimeoutMs = 1000): RedisOptions {
  return {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
  };
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

const schema = z.union([
  z.object({
    ...common,
    client: z.custom<RedisClient>(isClient, {
      message: 'must be an ioredis Redis or Cluster instance',
    }),
  }),
  z.object({
    ...common,
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .refine(isConnectableUrl, 'must be a valid redis:// URL with an optional numeric database path'),
  }),
]);

/** Parses options, throwing VALIDATION_FAILED with the option's name and how to fix it. */
export function resolveOptions(input: unknown): ResolvedOptions {
  if (typeof input !== 'object' || input === null || !('client' in input || 'url' in input)) {
    throw new DalstonError(
      'VALIDATION_FAILED',
      '@dalston/adapter-redis: options: pass { client } (an ioredis Redis or Cluster) or { url } (redis://…)',
      { field: 'options' },
    );
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues.flatMap((i) => (i.code === 'invalid_union' ? i.errors.flat() : [i]))[0];
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
  const client = openClient(o.url, o.commandTimeoutMs);
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

/**
 * Opens the client. ioredis quotes a URL it cannot parse in its error (password included),
 * so such an error is replaced by one that names the option only, without `cause`.
 */
function openClient(url: string, commandTimeoutMs: number | undefined): Redis {
  try {
    return new Redis(url, fastFailOptions(commandTimeoutMs));
  } catch {
    throw new DalstonError(
      'VALIDATION_FAILED',
      '@dalston/adapter-redis: option url is not a valid redis:// URL',
      {
        field: 'url',
      },
    );
  }
}
