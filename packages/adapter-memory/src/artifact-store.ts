/**
 * MemoryArtifactStore: the ArtifactStore port in process. Objects are bytes in a map,
 * keyed by core-derived keys (core's port guard checks them; this store trusts its arguments),
 * addressed as `memory://{bucket}/{prefix}{key}`. A put reads the whole body first and
 * only then makes the object visible, so a failing or aborted body leaves nothing.
 * No presigned URLs and no multipart uploads: the capabilities say so.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  type ArtifactBody,
  type ArtifactInfo,
  type ArtifactObject,
  type ArtifactPage,
  type ArtifactStore,
  type ArtifactStoreCapabilities,
  type ByteRange,
  type Clock,
  DalstonError,
  type PutOptions,
  type PutResult,
  parseArtifactKey,
  systemClock,
} from '@dalston/core/adapter';
import { readBody } from './artifact-body.js';

export interface MemoryArtifactStoreOptions {
  clock?: Clock;
  /** The bucket named in URIs. Default `dalston`. */
  bucket?: string;
  /** Prepended to every key in URIs, e.g. `dev/`. Default ''. */
  prefix?: string;
}

interface StoredObject {
  bytes: Buffer;
  etag: string;
  contentType: string | null;
  metadata: Record<string, string>;
  lastModified: number;
}

const STORE = 'artifactStore' as const;
const SCHEME = 'memory://';

const invalid = (operation: string, field: string, message: string) =>
  new DalstonError('VALIDATION_FAILED', `${field}: ${message}`, { store: STORE, operation, field });

export class MemoryArtifactStore implements ArtifactStore {
  readonly capabilities: ArtifactStoreCapabilities = { presign: false, abortStaleUploads: false };
  private readonly clock: Clock;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly objects = new Map<string, StoredObject>();
  private closed = false;

  constructor(options: MemoryArtifactStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.bucket = options.bucket ?? 'dalston';
    this.prefix = options.prefix ?? '';
    if (!/^[a-z0-9][a-z0-9.-]{1,62}$/.test(this.bucket)) {
      throw invalid('constructor', 'bucket', '@dalston/adapter-memory: use 2..63 characters [a-z0-9.-]');
    }
    if (this.prefix !== '' && (!this.prefix.endsWith('/') || this.prefix.startsWith('/'))) {
      throw invalid(
        'constructor',
        'prefix',
        "@dalston/adapter-memory: '' or a path ending in '/', e.g. 'dev/'",
      );
    }
  }

  async put(key: string, body: ArtifactBody, options: PutOptions = {}): Promise<PutResult> {
    this.assertOpen('put');
    const bytes = await readBody(body, options.signal);
    const etag = createHash('md5').update(bytes).digest('hex');
    this.objects.set(key, {
      bytes,
      etag,
      contentType: options.contentType ?? null,
      metadata: { ...(options.metadata ?? {}) },
      lastModified: this.clock.now(),
    });
    return { uri: this.uriFor(key), key, size: bytes.length, etag };
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<ArtifactObject> {
    this.assertOpen('get');
    const obj = this.objects.get(key);
    if (!obj) {
      throw new DalstonError('NOT_FOUND', `artifact ${key} not found`, { store: STORE, operation: 'get' });
    }
    const bytes = options.range
      ? obj.bytes.subarray(...this.rangeBounds(options.range, obj.bytes.length))
      : obj.bytes;
    return { info: this.info(key, obj), body: Readable.from([Buffer.from(bytes)]) };
  }

  async head(key: string): Promise<ArtifactInfo | null> {
    this.assertOpen('head');
    const obj = this.objects.get(key);
    return obj ? this.info(key, obj) : null;
  }

  async delete(key: string): Promise<void> {
    this.assertOpen('delete');
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    this.assertOpen('deletePrefix');
    let n = 0;
    for (const key of [...this.objects.keys()]) {
      if (key.startsWith(prefix)) {
        this.objects.delete(key);
        n++;
      }
    }
    return n;
  }

  async list(
    prefix: string,
    options: { limit?: number; cursor?: string | null } = {},
  ): Promise<ArtifactPage> {
    this.assertOpen('list');
    const limit = options.limit ?? 1000;
    const cursor = options.cursor ?? null;
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (cursor === null || k > cursor))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const page = keys.slice(0, limit);
    return {
      items: page.map((k) => this.info(k, this.objects.get(k)!)),
      nextCursor: keys.length > limit ? page[page.length - 1]! : null,
    };
  }

  async presignGet(_key: string, _expiresInSeconds: number): Promise<string> {
    throw this.noPresign('presignGet');
  }

  async presignPut(
    _key: string,
    _expiresInSeconds: number,
    _options?: { contentType?: string },
  ): Promise<string> {
    throw this.noPresign('presignPut');
  }

  async abortStaleUploads(_olderThanMs: number): Promise<number> {
    return 0; // nothing is ever half-uploaded in memory
  }

  uriFor(key: string): string {
    return `${SCHEME}${this.bucket}/${this.prefix}${key}`;
  }

  keyFromUri(uri: string): string {
    const base = `${SCHEME}${this.bucket}/`;
    if (typeof uri !== 'string' || !uri.startsWith(SCHEME)) {
      throw invalid('keyFromUri', 'uri', `not a ${SCHEME} URI`);
    }
    if (!uri.startsWith(base))
      throw invalid('keyFromUri', 'uri', `belongs to another bucket than ${this.bucket}`);
    const objectKey = uri.slice(base.length);
    if (!objectKey.startsWith(this.prefix))
      throw invalid('keyFromUri', 'uri', 'outside this store’s key prefix');
    // Decoding a URI is this store's own (its scheme, bucket and prefix): the key it
    // yields is checked here, as no caller argument covers it.
    const key = objectKey.slice(this.prefix.length);
    if (parseArtifactKey(key).isErr())
      throw invalid('keyFromUri', 'uri', 'does not hold a derived artifact key');
    return key;
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Test helper: objects held. */
  size(): number {
    return this.objects.size;
  }

  private info(key: string, obj: StoredObject): ArtifactInfo {
    return {
      key,
      uri: this.uriFor(key),
      size: obj.bytes.length,
      etag: obj.etag,
      contentType: obj.contentType,
      metadata: { ...obj.metadata },
      lastModified: obj.lastModified,
    };
  }

  /** [start, endExclusive) for a range; VALIDATION_FAILED when it does not fit the object. */
  private rangeBounds(range: ByteRange, size: number): [number, number] {
    const { start, end } = range;
    if (start >= size) throw invalid('get', 'range', `not satisfiable: the object has ${size} bytes`);
    // Like S3, an end past the object is clamped to its last byte.
    return [start, end === undefined ? size : Math.min(end + 1, size)];
  }

  private noPresign(operation: string): DalstonError {
    return new DalstonError(
      'VALIDATION_FAILED',
      `${operation}: the memory artifact store has no presigned URLs (capabilities.presign is false); stream through get/put instead`,
      { store: STORE, operation },
    );
  }

  private assertOpen(operation: string): void {
    if (this.closed) {
      throw new DalstonError('CLOSED', `artifactStore.${operation}: the store is closed`, {
        store: STORE,
        operation,
      });
    }
  }
}
