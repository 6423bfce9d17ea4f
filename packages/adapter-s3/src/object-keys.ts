/**
 * Between core keys (`tenants/{t}/jobs/{j}/...`) and S3 object keys (`<adapter prefix><core
 * key>`) and URIs (`s3://<bucket>/<object key>`). Keys and prefixes arrive checked by core's
 * port guard (only derived ones pass); decoding a URI is this store's own, so `keyFromUri`
 * checks the key it yields.
 */
import { parseArtifactKey, validationFailed } from '@dalston/core/adapter';

export class ObjectKeys {
  constructor(
    readonly bucket: string,
    /** '' or ends with '/'. */
    readonly prefix: string,
  ) {}

  /** The object key for a core key. */
  objectKey(key: string): string {
    return this.prefix + key;
  }

  /** The object-key prefix for a core prefix. */
  objectPrefix(prefix: string): string {
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
    const scheme = 's3://';
    if (!uri.startsWith(scheme)) throw validationFailed('uri', 'not an s3:// URI');
    const rest = uri.slice(scheme.length);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (bucket !== this.bucket) throw validationFailed('uri', 'belongs to another bucket');
    const objectKey = slash < 0 ? '' : rest.slice(slash + 1);
    if (!objectKey.startsWith(this.prefix)) throw validationFailed('uri', 'outside this store’s key prefix');
    const key = objectKey.slice(this.prefix.length);
    const parsed = parseArtifactKey(key);
    if (parsed.isErr()) throw validationFailed('uri', parsed.error.message);
    return key;
  }
}
