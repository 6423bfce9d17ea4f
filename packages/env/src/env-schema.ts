/**
 * The environment variables `adaptersFromEnv()` reads, and how they are checked.
 *
 * `DALSTON_DATABASE_URL`, `DALSTON_REDIS_URL` and `DALSTON_S3_BUCKET` switch the real stores
 * on: all three, or none (memory). The other variables tune the real stores and are ignored
 * in memory mode. Values are validated with zod; an error names the variable, never its value.
 */
import { DalstonError } from '@dalston/core/adapter';
import { z } from 'zod';

/** `new URL(value)`, or null when it does not parse (never throws; the error would echo the value). */
function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * A connection URL: the scheme, then a URL that parses (and, for Redis, an optional
 * numeric database path). Messages say what is wrong, never the value: URLs
 * carry passwords, and a driver given a malformed one throws an error that quotes it.
 */
function connectionUrl(schemes: RegExp, expected: string, dbPath?: RegExp) {
  return z.string().superRefine((value, ctx) => {
    const url = schemes.test(value) ? parseUrl(value) : null;
    if (!url) return void ctx.addIssue({ code: 'custom', message: `expected ${expected} (a valid URL)` });
    if (url && dbPath && !dbPath.test(url.pathname)) {
      ctx.addIssue({ code: 'custom', message: 'the database path must be a number (redis://host:6379/0)' });
    }
  });
}

/** `host:port,host:port` (at least one; IPv6 hosts in brackets: `[::1]:26379`). */
const hostPortList = (what: string) =>
  z.string().transform((value, ctx) => {
    const out: { host: string; port: number }[] = [];
    for (const item of value.split(',').map((s) => s.trim())) {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(item);
      const port = m ? Number(m[2]) : 0;
      if (!m || port < 1 || port > 65_535) {
        ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${what} host:port` });
        return z.NEVER;
      }
      out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
    }
    return out;
  });

/** Where Redis is: exactly one of these selects it (see `REDIS_VARIABLES`). */
export const REDIS_VARIABLES = [
  'DALSTON_REDIS_URL',
  'DALSTON_REDIS_SENTINELS',
  'DALSTON_REDIS_CLUSTER_NODES',
] as const;

const nonEmpty = z.string().min(1).optional();

/** The zod schema of the real-store variables, with their defaults. */
export const dalstonEnvSchema = z.object({
  DALSTON_DATABASE_URL: connectionUrl(
    /^postgres(ql)?:\/\//,
    'postgres://user:password@host:5432/db',
  ).describe(
    'PostgreSQL connection URL (postgres://user:password@host:5432/db). With DALSTON_REDIS_URL and DALSTON_S3_BUCKET it selects the real stores; none of the three: memory.',
  ),
  DALSTON_DATABASE_SCHEMA: z
    .string()
    .default('dalston')
    .describe('PostgreSQL schema of the Dalston tables (created by the migration).'),
  DALSTON_REDIS_URL: connectionUrl(/^rediss?:\/\//, 'redis://host:6379', /^(\/\d{0,5})?$/)
    .optional()
    .describe(
      'Redis URL (redis:// or rediss://, optional numeric database path). With the other two selecting variables; or DALSTON_REDIS_SENTINELS / DALSTON_REDIS_CLUSTER_NODES instead (exactly one of the three).',
    ),
  DALSTON_REDIS_SENTINELS: hostPortList('sentinel')
    .optional()
    .describe(
      'Sentinels of a Sentinel-managed primary, host:port,host:port (IPv6 in brackets); needs DALSTON_REDIS_SENTINEL_NAME. Instead of DALSTON_REDIS_URL.',
    ),
  DALSTON_REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected the master group name (letters, digits, _ - .)')
    .optional()
    .describe('The master group name the sentinels monitor (with DALSTON_REDIS_SENTINELS).'),
  DALSTON_REDIS_SENTINEL_PASSWORD: nonEmpty.describe('Password of the sentinels, when they require one.'),
  DALSTON_REDIS_PASSWORD: nonEmpty.describe(
    'Password of the Redis servers, for a Sentinel set or a Cluster (a URL carries its own).',
  ),
  DALSTON_REDIS_CLUSTER_NODES: hostPortList('cluster node')
    .optional()
    .describe('Seed nodes of a Redis Cluster, host:port,host:port. Instead of DALSTON_REDIS_URL.'),
  DALSTON_REDIS_TLS: z
    .enum(['0', '1'])
    .default('0')
    .describe('1: TLS to the servers (and sentinels) of a Sentinel set or a Cluster.'),
  DALSTON_REDIS_PREFIX: z
    .string()
    .default('dalston')
    .describe('Prefix of every Redis key the adapter writes.'),
  DALSTON_S3_BUCKET: z.string().min(3).describe('S3 bucket of the artifacts. Required with the other two.'),
  DALSTON_S3_ENDPOINT: z
    .url()
    .optional()
    .describe('S3-compatible endpoint URL (MinIO, s3rver); unset: AWS S3 of DALSTON_S3_REGION.'),
  DALSTON_S3_REGION: z.string().default('us-east-1').describe('S3 region.'),
  DALSTON_S3_PREFIX: z
    .string()
    .default('')
    .describe('Key prefix of every object in the bucket (empty: none).'),
  DALSTON_S3_ACCESS_KEY_ID: z
    .string()
    .optional()
    .describe("S3 access key id; unset: the AWS SDK's default credential chain."),
  DALSTON_S3_SECRET_ACCESS_KEY: z
    .string()
    .optional()
    .describe('S3 secret access key, with DALSTON_S3_ACCESS_KEY_ID.'),
  DALSTON_S3_FORCE_PATH_STYLE: z
    .enum(['0', '1'])
    .default('0')
    .describe('1: path-style bucket URLs (MinIO, s3rver); 0: virtual-hosted style.'),
  DALSTON_S3_CHECKSUMS: z
    .enum(['when-required', 'when-supported'])
    .default('when-supported')
    .describe('S3 request checksums; when-required for servers that mishandle streamed checksums (s3rver).'),
  DALSTON_S3_ABORT_STALE_UPLOADS: z
    .enum(['0', '1'])
    .default('1')
    .describe(
      '0 for servers without ListMultipartUploads/AbortMultipartUpload (s3rver): the orphan sweep skips aborting stale multipart uploads.',
    ),
});

/** Exactly one place for Redis; the Sentinel set has its name. Issues name the variable only. */
const checkRedisChoice = (env: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const given = REDIS_VARIABLES.filter((v) => env[v] !== undefined);
  if (given.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [given[1]!],
      message: `set only one of ${REDIS_VARIABLES.join(', ')} (got ${given.join(' and ')})`,
    });
  }
  if (env.DALSTON_REDIS_SENTINELS !== undefined && env.DALSTON_REDIS_SENTINEL_NAME === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['DALSTON_REDIS_SENTINEL_NAME'],
      message: 'required with DALSTON_REDIS_SENTINELS (the master group name the sentinels monitor)',
    });
  }
};

/** The real-store configuration after parsing: defaults applied. */
export type DalstonEnv = z.output<typeof dalstonEnvSchema>;

/** `dalstonEnvSchema` with the cross-variable checks of the Redis choice. */
const checkedEnvSchema = dalstonEnvSchema.superRefine(checkRedisChoice);

/** An environment to read: `process.env` or any plain record of strings. */
export type EnvSource = NodeJS.ProcessEnv | Record<string, string | undefined>;

/**
 * The three variables that select the real stores: all set, or none. Redis may be selected
 * by `DALSTON_REDIS_SENTINELS` or `DALSTON_REDIS_CLUSTER_NODES` instead of the URL.
 */
export const REAL_STORE_VARIABLES = [
  'DALSTON_DATABASE_URL',
  'DALSTON_REDIS_URL',
  'DALSTON_S3_BUCKET',
] as const;

/** What the environment asks for: the memory set, or the real stores with their settings. */
export type ParsedDalstonEnv = { mode: 'memory' } | { mode: 'real'; env: DalstonEnv };

/**
 * Reads `env` without opening anything. None of `REAL_STORE_VARIABLES` set (empty counts as
 * unset): `{ mode: 'memory' }`. All three set and every value valid: `{ mode: 'real', env }`.
 *
 * @throws DalstonError `VALIDATION_FAILED` when only some of the three are set (the message
 *   names the missing ones) or a value is malformed (the message and `field` name the
 *   variable; the value itself is never echoed, since URLs carry credentials).
 */
export function parseDalstonEnv(env: EnvSource): ParsedDalstonEnv {
  const isSet = (v: (typeof REAL_STORE_VARIABLES)[number]) =>
    v === 'DALSTON_REDIS_URL' ? REDIS_VARIABLES.some((r) => env[r]) : Boolean(env[v]);
  const set = REAL_STORE_VARIABLES.filter(isSet);
  if (set.length === 0) return { mode: 'memory' };
  if (set.length < REAL_STORE_VARIABLES.length) {
    const missing = REAL_STORE_VARIABLES.filter((v) => !isSet(v));
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/env: real stores need all of ${REAL_STORE_VARIABLES.join(', ')} ` +
        `(Redis: or ${REDIS_VARIABLES.slice(1).join(' or ')}); missing ${missing.join(', ')}`,
      { field: missing[0]!, details: { missing } },
    );
  }
  // An empty Redis variable counts as unset (so only the others need be cleared to switch).
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => !(k.startsWith('DALSTON_REDIS_') && v === '')),
  );
  const parsed = checkedEnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = issue.path.join('.');
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/env: environment variable ${variable}: ${issue.message}`,
      {
        field: variable,
      },
    );
  }
  return { mode: 'real', env: parsed.data };
}
