/**
 * ArtifactStore: large blobs by reference (S3 in production). Keys are derived by
 * core (`tenants/{tenantId}/jobs/{jobId}/...`, see `domain/artifact-key.ts`); an adapter
 * refuses any other key with VALIDATION_FAILED and prepends its own configured prefix.
 * Writes stream with bounded memory; reads stream, with byte ranges.
 *
 * Deliberately left out: which keys exist for which rows (core and the JobStore).
 * Errors: missing object → NOT_FOUND; network or server failure → STORE_UNAVAILABLE
 * (`store: 'artifactStore'`) naming the operation. Sizes in bytes; times in epoch ms;
 * presign expiry in seconds.
 */
import type { Readable } from 'node:stream';
import type { PortLifecycle } from './lifecycle.js';

export type ArtifactBody = Uint8Array | string | Readable | ReadableStream<Uint8Array>;

export interface PutOptions {
  contentType?: string;
  /** User metadata, ASCII keys `[a-z0-9-]`, small values. */
  metadata?: Record<string, string>;
  /** Byte length when known in advance (lets small bodies skip multipart). */
  contentLength?: number;
  /** Aborting cancels the upload; nothing becomes visible. */
  signal?: AbortSignal;
}

export interface PutResult {
  /** e.g. `s3://bucket/prefix/tenants/t/jobs/j/input/audio.wav` or `memory://dalston/...`. */
  uri: string;
  /** The core-derived key (without the adapter's prefix). */
  key: string;
  size: number;
  etag: string;
}

export interface ArtifactInfo {
  key: string;
  uri: string;
  size: number;
  etag: string;
  contentType: string | null;
  metadata: Record<string, string>;
  lastModified: number;
}

export interface ByteRange {
  /** First byte, inclusive, >= 0. */
  start: number;
  /** Last byte, inclusive; omit for "to the end". */
  end?: number;
}

export interface ArtifactObject {
  info: ArtifactInfo;
  /** The bytes (the requested range only, when one was given). */
  body: Readable;
}

export interface ArtifactPage {
  items: ArtifactInfo[];
  nextCursor: string | null;
}

export interface ArtifactStoreCapabilities {
  /** presignGet/presignPut return URLs a plain HTTP client can use. */
  presign: boolean;
  /** abortStaleUploads can list and abort incomplete multipart uploads. */
  abortStaleUploads: boolean;
}

/** `ping()` and `close()`: see {@link PortLifecycle}. */
export interface ArtifactStore extends PortLifecycle {
  readonly capabilities: ArtifactStoreCapabilities;

  /** Writes (or overwrites) the object. Visible only once complete. */
  put(key: string, body: ArtifactBody, options?: PutOptions): Promise<PutResult>;
  /** Streams the object or a range of it. NOT_FOUND when missing; VALIDATION_FAILED for a range outside the object. */
  get(key: string, options?: { range?: ByteRange }): Promise<ArtifactObject>;
  /** Metadata, or null when missing. */
  head(key: string): Promise<ArtifactInfo | null>;
  /** Deletes the object. Idempotent (a missing object is not an error). */
  delete(key: string): Promise<void>;
  /** Deletes every object under the prefix (all pages). Returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  /** Objects under the prefix in key order, paged. `limit` 1..1000. */
  list(prefix: string, options?: { limit?: number; cursor?: string | null }): Promise<ArtifactPage>;
  /** A URL to GET the object for `expiresInSeconds`. VALIDATION_FAILED when `capabilities.presign` is false. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /** A URL to PUT the object for `expiresInSeconds`. VALIDATION_FAILED when `capabilities.presign` is false. */
  presignPut(key: string, expiresInSeconds: number, options?: { contentType?: string }): Promise<string>;
  /** Aborts incomplete multipart uploads started more than `olderThanMs` ago. Returns how many. 0 when unsupported. */
  abortStaleUploads(olderThanMs: number): Promise<number>;
  /** The URI for a key (no I/O). */
  uriFor(key: string): string;
  /** The key of a URI of this store. VALIDATION_FAILED for another scheme, bucket or prefix. */
  keyFromUri(uri: string): string;
}
