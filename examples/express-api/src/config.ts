/**
 * The example's settings: HTTP limits and defaults the host chooses (the engine's own
 * configuration is `createDalston`'s `config`). Read from the environment by `fromEnv`;
 * tests pass their own values to `createApp`.
 */
import { randomBytes } from 'node:crypto';
import type { RateLimitPolicy } from '@dalston/core';
import { z } from 'zod';

export interface AppOptions {
  /** Largest accepted upload, bytes. Larger bodies get 413 while streaming. */
  maxUploadBytes: number;
  /** Media types accepted for the file part (`type/*` matches a whole type). */
  allowedContentTypes: string[];
  /** Request rate for a tenant as a whole, unless the tenant overrides `limits.requests`. */
  tenantRequests: RateLimitPolicy;
  /** Request rate for each API key, unless the tenant overrides `limits.requestsPerKey`. */
  keyRequests: RateLimitPolicy;
  /** SSE heartbeat comment interval, ms. */
  sseHeartbeatMs: number;
  /** Lifetime of presigned result URLs, seconds. */
  presignSeconds: number;
  /** The admin key of the web console at /console; null serves no console. */
  consoleAdminKey: string | null;
}

export const defaultAppOptions: AppOptions = {
  maxUploadBytes: 1024 * 1024 * 1024,
  allowedContentTypes: ['audio/*', 'application/octet-stream'],
  tenantRequests: { algorithm: 'sliding', limit: 1200, windowMs: 60_000 },
  keyRequests: { algorithm: 'sliding', limit: 600, windowMs: 60_000 },
  sseHeartbeatMs: 15_000,
  presignSeconds: 300,
  consoleAdminKey: null,
};

const int = z.coerce.number().int();
const envSchema = z.object({
  PORT: int.min(0).max(65_535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DALSTON_MAX_UPLOAD_BYTES: int.min(1).optional(),
  DALSTON_SSE_HEARTBEAT_MS: int.min(10).optional(),
  /** `0` runs no worker in the server process (run `src/worker.ts` instead). */
  DALSTON_INLINE_WORKER: z.enum(['0', '1']).default('1'),
  /** Milliseconds each simulated stage takes (the demo's stand-in for real work). */
  DALSTON_STAGE_DELAY_MS: int.min(0).max(60_000).default(200),
  /** The web console's admin key (at least 16 characters); unset: one is generated and printed at start. */
  DALSTON_CONSOLE_ADMIN_KEY: z.string().min(16).optional(),
});

export interface ServerSettings {
  port: number;
  host: string;
  inlineWorker: boolean;
  stageDelayMs: number;
  app: AppOptions;
}

/** Server settings from the environment; throws naming the variable when one is invalid. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    inlineWorker: e.DALSTON_INLINE_WORKER === '1',
    stageDelayMs: e.DALSTON_STAGE_DELAY_MS,
    app: {
      ...defaultAppOptions,
      ...(e.DALSTON_MAX_UPLOAD_BYTES ? { maxUploadBytes: e.DALSTON_MAX_UPLOAD_BYTES } : {}),
      ...(e.DALSTON_SSE_HEARTBEAT_MS ? { sseHeartbeatMs: e.DALSTON_SSE_HEARTBEAT_MS } : {}),
      consoleAdminKey: e.DALSTON_CONSOLE_ADMIN_KEY ?? randomBytes(24).toString('base64url'),
    },
  };
}
