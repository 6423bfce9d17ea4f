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
