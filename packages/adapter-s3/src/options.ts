/**
 * Options of @dalston/adapter-s3, validated with zod. Either the host's ready `S3Client`
 * (`client`) or connection options (`region`, optional `endpoint`, `credentials`,
 * `forcePathStyle`) from which the adapter builds, and later destroys, its own client.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { ArtifactStoreCapabilities } from '@dalston/core/adapter';
import { DalstonError } from '@dalston/core/adapter';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Static credentials or a provider (e.g. from `@aws-sdk/credential-providers`). */
export type S3Credentials =
  | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>);

const credentialsSchema = z.union([
  z.object({
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    sessionToken: z.string().min(1).optional(),
  }),
  z.custom<() => Promise<never>>((v) => typeof v === 'function', 'expected a credentials provider function'),
]);

const prefixSchema = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9._\-/]*$/, 'use only letters, digits, ".", "_", "-" and "/"')
  .refine((p) => !p.split('/').some((seg) => seg === '..' || seg === '.'), 'no "." or ".." segments')
  .transform((p) => {
    const trimmed = p
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .replace(/\/{2,}/g, '/');
    return trimmed === '' ? '' : `${trimmed}/`;
  });

const commonSchema = {
  bucket: z
    .string()
    .min(3)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, 'an S3 bucket name: lower-case letters, digits, "." and "-"'),
  prefix: prefixSchema.default(''),
  partSizeBytes: z
    .number()
    .int()
    .min(5 * MiB, 'S3 parts are at least 5 MiB')
    .max(5 * 1024 * MiB)
    .default(8 * MiB),
  queueSize: z.number().int().min(1).max(64).default(4),
  capabilities: z
    .object({ presign: z.boolean().optional(), abortStaleUploads: z.boolean().optional() })
    .strict()
    .default({}),
};

const clientSchema = z
  .object({
    client: z.custom<S3Client>((v) => v instanceof S3Client || hasSend(v), 'expected an S3Client'),
    ...commonSchema,
  })
  .strict();

const connectionSchema = z
  .object({
    endpoint: z.url().optional(),
    region: z.string().min(1),
    credentials: credentialsSchema.optional(),
    forcePathStyle: z.boolean().default(false),
    checksums: z.enum(['when-required', 'when-supported']).default('when-supported'),
    connectionTimeoutMs: z.number().int().positive().default(3_000),
    requestTimeoutMs: z.number().int().positive().default(60_000),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    ...commonSchema,
  })
  .strict();

/** What the host passes in with its own client. The adapter never destroys this client. */
export type S3ClientOptions = z.input<typeof clientSchema>;
/** What the host passes in to let the adapter build (and on close destroy) its client. */
export type S3ConnectionOptions = z.input<typeof connectionSchema> & { credentials?: S3Credentials };
export type S3AdapterOptions = S3ClientOptions | S3ConnectionOptions;

export interface ResolvedS3Options {
  client: S3Client;
  /** True when the adapter built the client (and so destroys it on close). */
  ownsClient: boolean;
  bucket: string;
  /** '' or ends with '/'. */
  prefix: string;
  partSizeBytes: number;
  queueSize: number;
  capabilities: ArtifactStoreCapabilities;
}

/** Validates the options and builds the client when none was given. VALIDATION_FAILED naming the option. */
export function resolveS3Options(input: S3AdapterOptions): ResolvedS3Options {
  if (typeof input !== 'object' || input === null) throw invalid('options', 'expected an object');
  if ('client' in input && input.client !== undefined) {
    const o = parse(clientSchema, input);
    return { ...common(o), client: o.client, ownsClient: false };
  }
  const o = parse(connectionSchema, input);
  const when = o.checksums === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const client = new S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials as S3Credentials } : {}),
    forcePathStyle: o.forcePathStyle,
    requestChecksumCalculation: when,
    responseChecksumValidation: when,
    maxAttempts: o.maxAttempts,
    requestHandler: {
      connectionTimeout: o.connectionTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  return { ...common(o), client, ownsClient: true };
}

function common(o: z.output<typeof clientSchema> | z.output<typeof connectionSchema>) {
  return {
    bucket: o.bucket,
    prefix: o.prefix,
    partSizeBytes: o.partSizeBytes,
    queueSize: o.queueSize,
    capabilities: {
      presign: o.capabilities.presign ?? true,
      abortStaleUploads: o.capabilities.abortStaleUploads ?? true,
    },
  };
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.length ? issue.path.map(String).join('.') : 'options';
  const hint =
    issue?.code === 'unrecognized_keys'
      ? ' (pass either `client` or connection options such as `region`/`endpoint`, not both)'
      : '';
  throw invalid(path, `${issue?.message ?? 'invalid'}${hint}`);
}

function invalid(field: string, message: string): DalstonError {
  return new DalstonError('VALIDATION_FAILED', `@dalston/adapter-s3: option ${field}: ${message}`, {
    field: `options.${field}`,
  });
}

function hasSend(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { send?: unknown }).send === 'function';
}
