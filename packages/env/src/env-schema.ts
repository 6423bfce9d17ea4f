/**
 * The environment variables `adaptersFromEnv()` reads, and how they are checked.
 *
 * `DALSTON_DATABASE_URL`, `DALSTON_REDIS_URL` and `DALSTON_S3_BUCKET` switch the real stores
 * on: all three, or none (memory). The other variables tune the real stores and are ignored
 * in memory mode. Values are validated with zod; an error names the variable, never its value.
 */
import { DalstonError } from '@dalston/core';
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
  DALSTON_REDIS_URL: connectionUrl(/^rediss?:\/\//, 'redis://host:6379', /^(\/\d{0,5})?$/).describe(
    'Redis URL (redis:// or rediss://, optional numeric database path). Required with the other two.',
  ),
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

/** The real-store configuration after parsing: defaults applied. */
export type DalstonEnv = z.output<typeof dalstonEnvSchema>;

/** An environment to read: `process.env` or any plain record of strings. */
export type EnvSource = NodeJS.ProcessEnv | Record<string, string | undefined>;

/** The three variables that select the real stores: all set, or none. */
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
  const set = REAL_STORE_VARIABLES.filter((v) => env[v]);
  if (set.length === 0) return { mode: 'memory' };
  if (set.length < REAL_STORE_VARIABLES.length) {
    const missing = REAL_STORE_VARIABLES.filter((v) => !env[v]);
    throw new DalstonError(
      'VALIDATION_FAILED',
      `@dalston/env: real stores need all of ${REAL_STORE_VARIABLES.join(', ')}; missing ${missing.join(', ')}`,
      { field: missing[0]!, details: { missing } },
    );
  }
  const parsed = dalstonEnvSchema.safeParse(env);
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
