/**
 * The keyset cursor of `listJobs`: base64url of `${createdAt}:${id}` of the last job of a
 * page (the same format as the memory adapter). Opaque to callers; a malformed one is
 * VALIDATION_FAILED on field `cursor`.
 */
import { invalid } from './errors.js';

export function encodeJobCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`, 'utf8').toString('base64url');
}

export function decodeJobCursor(cursor: string): { createdAt: number; id: string } {
  const bad = () => invalid('jobStore', 'listJobs', 'cursor', 'not a cursor returned by listJobs');
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw bad();
  const m = /^(-?\d{1,16}):(.+)$/s.exec(text);
  if (!m) throw bad();
  const createdAt = Number(m[1]);
  if (!Number.isSafeInteger(createdAt)) throw bad();
  return { createdAt, id: m[2]! };
}
