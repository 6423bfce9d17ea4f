/**
 * The environment variables `adaptersFromEnv()` reads, and how they are checked.
 *
 * `DALSTON_DATABASE_URL`, `DALSTON_REDIS_URL` and `DALSTON_S3_BUCKET` switch the real stores
 * on: all three, or none (memory). The other variables tune the real stores and are ignored
 * in memory mode. Values are validated with zod; an error names the variable, never its value.
 */
import { DalstonError } from '@dalston/core';
import { z } from 'zod';

/** The zod schema of the real-store variables, with their defaults. */
export const dalstonEnvSchema = z.object({
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
  /** `0` for servers without ListMultipartUploads/AbortMultipartUpload (s3rver): the orphan sweep skips that step. */
  DALSTON_S3_ABORT_STALE_UPLOADS: z.enum(['0', '1']).default('1'),
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
