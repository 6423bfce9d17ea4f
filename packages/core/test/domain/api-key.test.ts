import { describe, expect, it } from 'vitest';
import {
  type ApiKeyRecord,
  generateApiKey,
  hashApiKey,
  hasScope,
  parseApiKey,
  verifyApiKey,
} from '../../src/domain/api-key.js';

const T0 = 1_700_000_000_000;

function recordFor(key: string, prefix: string, patch: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: 'key_1',
    tenantId: 't1',
    name: 'ci',
    prefix,
    hash: hashApiKey(key),
    scopes: ['jobs:read'],
    createdAt: T0,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...patch,
  };
}

describe('api keys', () => {
  it('generates well-formed, distinct keys', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    for (const { key, prefix } of keys) {
      expect(key).toMatch(/^dk_[a-z0-9]{8}_[A-Za-z0-9]{32}$/);
      expect(key.slice(3, 11)).toBe(prefix);
      expect(parseApiKey(key)).toEqual({ prefix });
    }
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
  });

  it('hashes with SHA-256 hex', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it.each([
    null,
    42,
    '',
    'dk_',
    'dk_ABCDEFGH_' + 'a'.repeat(32),
    'dk_abcdefgh_' + 'a'.repeat(31),
    'xx_abcdefgh_' + 'a'.repeat(32),
  ])('parse refuses %j', (raw) => {
    expect(parseApiKey(raw)).toBeNull();
  });

  it('verifies', () => {
    const { key, prefix } = generateApiKey();
    const other = generateApiKey();
    expect(verifyApiKey(key, recordFor(key, prefix), T0)).toEqual({ ok: true });
    expect(verifyApiKey('nope', recordFor(key, prefix), T0)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyApiKey(other.key, recordFor(key, prefix), T0)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyApiKey(key, recordFor(key, prefix, { hash: 'zz' }), T0)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyApiKey(key, recordFor(key, prefix, { revokedAt: T0 }), T0)).toEqual({
      ok: false,
      reason: 'revoked',
    });
    expect(verifyApiKey(key, recordFor(key, prefix, { expiresAt: T0 }), T0)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyApiKey(key, recordFor(key, prefix, { expiresAt: T0 + 1 }), T0)).toEqual({ ok: true });
    // A revoked record does not tell a wrong key that it is revoked.
    expect(verifyApiKey(other.key, recordFor(key, prefix, { revokedAt: T0 }), T0).ok).toBe(false);
    expect(verifyApiKey(other.key, recordFor(key, prefix, { revokedAt: T0 }), T0)).toMatchObject({
      reason: 'mismatch',
    });
  });

  it('checks scopes, admin implying all', () => {
    expect(hasScope({ scopes: ['jobs:read'] }, 'jobs:read')).toBe(true);
    expect(hasScope({ scopes: ['jobs:read'] }, 'jobs:write')).toBe(false);
    expect(hasScope({ scopes: ['admin'] }, 'sessions:write')).toBe(true);
  });
});
