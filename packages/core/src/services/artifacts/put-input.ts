/** The caller-supplied parts of an artifact write (body and options), checked before any store call. */
import { z } from 'zod';
import { storableString } from '../../domain/schemas.js';
import type { ArtifactBody } from '../../ports/artifact-store.js';

const isBody = (b: unknown): b is ArtifactBody =>
  typeof b === 'string' ||
  b instanceof Uint8Array ||
  (typeof b === 'object' && b !== null && ('pipe' in b || 'getReader' in b));

/** Bytes, a string, a Node Readable or a web ReadableStream. */
export const artifactBodySchema = z.custom<ArtifactBody>(isBody, {
  message: 'expected bytes, a string or a readable stream',
});

/** `PutOptions` without metadata (derived by core). */
export const putOptionsSchema = z
  .strictObject({
    contentType: storableString().min(1).max(255).optional(),
    contentLength: z.int().min(0).optional(),
    signal: z.instanceof(AbortSignal).optional(),
  })
  .default({});
