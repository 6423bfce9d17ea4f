// Public surface of @dalston/env. Keep this file to re-exports only.
export { type AdaptersFromEnvOptions, adaptersFromEnv, type EnvAdapters } from './adapters-from-env.js';
export {
  type DalstonEnv,
  dalstonEnvSchema,
  type EnvSource,
  type ParsedDalstonEnv,
  parseDalstonEnv,
  REAL_STORE_VARIABLES,
  REDIS_VARIABLES,
} from './env-schema.js';
