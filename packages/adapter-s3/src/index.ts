// Public surface of @dalston/adapter-s3. Re-exports and the adapter-set factory only.
import { resolveS3Options, type S3AdapterOptions } from './options.js';
import { S3ArtifactStore } from './s3-artifact-store.js';

export type { S3AdapterOptions, S3ClientOptions, S3ConnectionOptions, S3Credentials } from './options.js';
export { S3ArtifactStore } from './s3-artifact-store.js';

export interface S3Adapters {
  artifactStore: S3ArtifactStore;
  /** Closes the store; destroys the S3 client only when the adapter created it. Idempotent. */
  close(): Promise<void>;
}

/**
 * The S3 adapter set: an ArtifactStore on the host's `S3Client` (`{ client, bucket }`)
 * or on a client built from connection options (`{ region, endpoint?, credentials?, bucket }`).
 * VALIDATION_FAILED naming the option when the options are invalid.
 */
export function s3Adapters(options: S3AdapterOptions): S3Adapters {
  const artifactStore = new S3ArtifactStore(resolveS3Options(options));
  return { artifactStore, close: () => artifactStore.close() };
}
