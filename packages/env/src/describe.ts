/**
 * One-line, secret-free descriptions of the stores in use, for start-up logs.
 * URLs are reduced to scheme, host, port and path: no user, password or query string.
 */
import type { DalstonEnv } from './env-schema.js';

/** `scheme://host:port/path` of `url`, without user info or query; `(invalid URL)` if unparsable. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname === '/' ? '' : u.pathname;
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Describes the memory set. */
export function describeMemory(): string {
  return 'memory: every store in this process (nothing persists across restarts)';
}

/** Describes the real stores `env` selects, naming hosts, schema, prefix and bucket only. */
export function describeReal(env: DalstonEnv): string {
  const s3Where = env.DALSTON_S3_ENDPOINT ? ` at ${redactUrl(env.DALSTON_S3_ENDPOINT)}` : '';
  const s3Prefix = env.DALSTON_S3_PREFIX ? `, prefix ${env.DALSTON_S3_PREFIX}` : '';
  return [
    `postgres ${redactUrl(env.DALSTON_DATABASE_URL)} (schema ${env.DALSTON_DATABASE_SCHEMA})`,
    `redis ${describeRedis(env)} (prefix ${env.DALSTON_REDIS_PREFIX})`,
    `s3 bucket ${env.DALSTON_S3_BUCKET}${s3Prefix} (region ${env.DALSTON_S3_REGION})${s3Where}`,
  ].join('; ');
}

/** The Redis topology: the redacted URL, the sentinels and group name, or the cluster seeds. */
function describeRedis(env: DalstonEnv): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (env.DALSTON_REDIS_SENTINELS) {
    return `sentinel ${env.DALSTON_REDIS_SENTINEL_NAME} via ${list(env.DALSTON_REDIS_SENTINELS)}`;
  }
  if (env.DALSTON_REDIS_CLUSTER_NODES) return `cluster ${list(env.DALSTON_REDIS_CLUSTER_NODES)}`;
  return redactUrl(env.DALSTON_REDIS_URL ?? '');
}
