/**
 * The keyset cursor of `listJobs`: base64url of `${createdAt}:${id}` of the last job of a
 * page. Opaque to callers; a malformed one is VALIDATION_FAILED on field `cursor`.
 */
import { invalid } from './store-errors.js';

export interface JobCursor {
  createdAt: number;
  id: string;
}

export function encodeJobCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`, 'utf8').toString('base64url');
}

export function decodeJobCursor(cursor: string): JobCursor {
  const bad = () => invalid('jobStore', 'listJobs', 'cursor', 'not a cursor returned by listJobs');
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeJobCursorRaw(text) !== cursor) throw bad();
  const colon = text.indexOf(':');
  if (colon < 1) throw bad();
  const time = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (!/^-?\d{1,16}$/.test(time) || id.length === 0) throw bad();
  const createdAt = Number(time);
  if (!Number.isSafeInteger(createdAt)) throw bad();
  return { createdAt, id };
}

const encodeJobCursorRaw = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
