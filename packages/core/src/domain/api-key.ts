import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Scopes an API key may carry. `admin` may manage keys of its tenant. */
export const API_KEY_SCOPES = [
  'jobs:read',
  'jobs:write',
  'sessions:read',
  'sessions:write',
  'admin',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * An API key as stored: never the raw key, only its SHA-256 hash (hex) and a short
 * public prefix used to find candidates. Times are epoch milliseconds.
 */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  /** The public part of the key after `dk_`, e.g. `a1b2c3d4`; unique. */
  prefix: string;
  /** Lower-case hex SHA-256 of the whole raw key. */
  hash: string;
  scopes: ApiKeyScope[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER_ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = /^dk_([a-z0-9]{8})_([A-Za-z0-9]{32})$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** `length` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias). */
function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/**
 * A new raw key `dk_{prefix}_{secret}`: an 8-character lower-case alphanumeric prefix
 * (stored, used to find the record) and 32 random base62 characters (~190 bits).
 * Show the key once; store only `hashApiKey(key)` and the prefix.
 */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = randomString(LOWER_ALNUM, 8);
  return { key: `dk_${prefix}_${randomString(BASE62, 32)}`, prefix };
}

/** Lower-case hex SHA-256 of the whole raw key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The prefix of a well-formed raw key, or null when it does not have the `dk_…` shape. */
export function parseApiKey(raw: unknown): { prefix: string } | null {
  if (typeof raw !== 'string') return null;
  const m = KEY_PATTERN.exec(raw);
  return m ? { prefix: m[1]! } : null;
}

export type ApiKeyVerification =
  | { ok: true }
  | { ok: false; reason: 'malformed' | 'mismatch' | 'revoked' | 'expired' };

/**
 * Checks a raw key against its stored record: shape, prefix and hash (constant-time on
 * the hash bytes), then revocation, then expiry (`expiresAt <= now` is expired).
 * Revocation and expiry are only reported to a caller that holds the right key.
 */
export function verifyApiKey(raw: unknown, record: ApiKeyRecord, now: number): ApiKeyVerification {
  const parsed = parseApiKey(raw);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (!HEX_SHA256.test(record.hash)) return { ok: false, reason: 'mismatch' };
  const given = Buffer.from(hashApiKey(raw as string), 'hex');
  const stored = Buffer.from(record.hash, 'hex');
  const sameHash = timingSafeEqual(given, stored);
  if (!sameHash || parsed.prefix !== record.prefix) return { ok: false, reason: 'mismatch' };
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (record.expiresAt !== null && record.expiresAt <= now) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/** Whether the key carries the scope; `admin` implies every scope. */
export function hasScope(record: Pick<ApiKeyRecord, 'scopes'>, scope: ApiKeyScope): boolean {
  return record.scopes.includes('admin') || record.scopes.includes(scope);
}
