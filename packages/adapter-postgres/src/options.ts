/**
 * Options of the PostgreSQL adapter, validated with zod. Either the host's `pg.Pool`
 * (the adapter never ends it) or connection options (the adapter creates a pool and
 * ends it on `close()`).
 */
import type { Clock } from '@dalston/core/adapter';
import { DalstonError } from '@dalston/core/adapter';
import type pg from 'pg';
import { z } from 'zod';

/** A PostgreSQL identifier we can use unquoted-safe: lower case, digits, underscore, at most 63 bytes. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const clockSchema = z.custom<Clock>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Clock).now === 'function',
  { message: 'must be a Clock (an object with now())' },
);

const common = {
  /** Schema holding every table. Default `dalston`. */
  schema: z
    .string()
    .regex(SCHEMA_NAME, 'must be a lower-case identifier (a-z, 0-9, _; not starting with a digit; max 63)')
    .default('dalston'),
  /** Source of "now" for the few writes the adapter stamps itself (published_at). Default: system clock. */
  clock: clockSchema.optional(),
};

/**
 * A `postgres://` connection string must parse as a URL: `pg` would otherwise
 * fail on first use with an error that quotes the string (password included). Other forms
 * `pg` accepts (a socket directory, key=value) pass through.
 */
function parsesIfUrl(value: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(value)) return true;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

const poolSchema = z.object({
  pool: z.custom<pg.Pool>(
    (v) => typeof v === 'object' && v !== null && typeof (v as pg.Pool).connect === 'function',
    { message: 'must be a pg.Pool' },
  ),
  ...common,
});

const connectionSchema = z.object({
  connectionString: z
    .string()
    .min(1, 'must be a postgres:// URL')
    .refine(parsesIfUrl, 'must be a valid postgres://user:password@host:5432/db URL'),
  /** Pool size. Default 10. */
  max: z.number().int().min(1).max(1000).default(10),
  /** ms an idle client stays in the pool. Default 10 000. */
  idleTimeoutMillis: z.number().int().min(0).default(10_000),
  /** ms to wait for a connection before failing with STORE_UNAVAILABLE. Default 10 000. */
  connectionTimeoutMillis: z.number().int().min(0).default(10_000),
  /** `application_name` reported to the server. Default `dalston`. */
  applicationName: z.string().max(63).default('dalston'),
  ...common,
});

export type PostgresPoolOptions = z.input<typeof poolSchema>;
export type PostgresConnectionOptions = z.input<typeof connectionSchema>;
/** `{ pool }` (the host's pool) or `{ connectionString, max?, ... }` (the adapter's own pool). */
export type PostgresAdapterOptions = PostgresPoolOptions | PostgresConnectionOptions;
export type ResolvedPostgresOptions = z.output<typeof poolSchema> | z.output<typeof connectionSchema>;

/** Parses options; VALIDATION_FAILED naming the option (never echoing a connection string). */
export function parseOptions(input: unknown): ResolvedPostgresOptions {
  const schema =
    typeof input === 'object' && input !== null && 'pool' in input ? poolSchema : connectionSchema;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.') || 'options';
  return failOption(field, issue.message);
}

function failOption(field: string, message: string): never {
  throw new DalstonError(
    'VALIDATION_FAILED',
    `@dalston/adapter-postgres: option ${field} ${message}. Pass { pool } or { connectionString }.`,
    { field },
  );
}
