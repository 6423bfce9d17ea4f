/**
 * Between core keys (`tenants/{t}/jobs/{j}/...`, validated by core's `parseArtifactKey`)
 * and S3 object keys (`<adapter prefix><core key>`) and URIs (`s3://<bucket>/<object key>`).
 * Nothing else reaches the bucket: a key or prefix core did not derive is VALIDATION_FAILED.
 */
import { isArtifactPrefix, parseArtifactKey, validationFailed } from '@dalston/core/adapter';

export class ObjectKeys {
  constructor(
    readonly bucket: string,
    /** '' or ends with '/'. */
    readonly prefix: string,
  ) {}

  /** The object key for a core key. VALIDATION_FAILED unless core derived it. */
  objectKey(key: string): string {
    assertArtifactKey(key);
    return this.prefix + key;
  }

  /** The object-key prefix for a core prefix. VALIDATION_FAILED unless it is a core artifact prefix. */
  objectPrefix(prefix: string): string {
    if (typeof prefix !== 'string' || !isArtifactPrefix(prefix)) {
      throw validationFailed('prefix', 'not an artifact prefix derived by core (tenants/{tenantId}/...)');
    }
    return this.prefix + prefix;
  }

  /** The core key of an object key listed from the bucket. */
  coreKey(objectKey: string): string {
    return objectKey.startsWith(this.prefix) ? objectKey.slice(this.prefix.length) : objectKey;
  }

  uriFor(key: string): string {
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  keyFromUri(uri: string): string {
    if (typeof uri !== 'string') throw validationFailed('uri', 'expected a string');
    const scheme = 's3://';
    if (!uri.startsWith(scheme)) throw validationFailed('uri', 'not an s3:// URI');
    const rest = uri.slice(scheme.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (bucket !== this.bucket) throw validationFailed('uri', 'belongs to another bucket');
    const objectKey = slash < 0 ? '' : rest.slice(slash + 1);
    if (!objectKey.startsWith(this.prefix)) throw validationFailed('uri', 'outside this store’s key prefix');
    const key = objectKey.slice(this.prefix.length);
    assertArtifactKey(key, 'uri');
    return key;
  }
}

function assertArtifactKey(key: string, field = 'key'): void {
  if (typeof key !== 'string') throw validationFailed(field, 'expected a string');
  const parsed = parseArtifactKey(key);
  if (parsed.isErr()) {
    throw field === 'key' ? parsed.error : validationFailed(field, parsed.error.message);
  }
}
