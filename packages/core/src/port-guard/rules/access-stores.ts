/**
 * Rules of the PostgreSQL-shaped record stores (tenants, API keys, the session archive):
 * records must hold only text every store can keep; times are epoch ms; pages 1..1000.
 * Reads by id are not checked: an id no store can hold is a miss.
 */
import type { ApiKeyStore } from '../../ports/api-key-store.js';
import type { SessionArchive } from '../../ports/session-archive.js';
import type { TenantStore } from '../../ports/tenant-store.js';
import {
  array,
  epochMs,
  nonNegativeInt,
  object,
  pageLimit,
  storableText,
  string,
} from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

function record(v: unknown, field: string, what: string): asserts v is Record<string, unknown> {
  object(v, field, what);
  storableText(v, field);
}

export const tenantStoreRules: PortRules<TenantStore> = {
  create: { check: ([tenant]) => record(tenant, 'tenant', 'a tenant record') },
  get: {},
  updateLimits: { check: ([, limits]) => record(limits, 'limits', 'tenant limits') },
  setDisabled: {
    check: ([, disabled]) => {
      if (typeof disabled !== 'boolean') throw argumentError('disabled', 'must be a boolean');
    },
  },
  list: {
    check: ([limit, afterId]) => {
      pageLimit(limit);
      if (afterId !== undefined) string(afterId, 'afterId');
    },
  },
  ping: {},
  close: {},
};

export const apiKeyStoreRules: PortRules<ApiKeyStore> = {
  create: {
    check: ([key]) => {
      record(key, 'record', 'an API key record');
      array(key.scopes, 'record.scopes', 'scopes');
    },
  },
  findByPrefix: {},
  get: {},
  list: {},
  revoke: { check: ([, , at]) => epochMs(at, 'at') },
  touchLastUsed: {
    check: ([keyId, at, minIntervalMs]) => {
      string(keyId, 'keyId');
      epochMs(at, 'at');
      nonNegativeInt(minIntervalMs, 'minIntervalMs');
    },
  },
  ping: {},
  close: {},
};

export const sessionArchiveRules: PortRules<SessionArchive> = {
  open: { check: ([r]) => record(r, 'record', 'a session record') },
  get: {},
  closeRecord: {
    check: ([, , close]) => {
      record(close, 'close', 'a session close { status, endedAt, stats, artifacts, error }');
      epochMs(close.endedAt, 'close.endedAt');
    },
  },
  listByTenant: {
    check: ([tenantId, limit, before]) => {
      string(tenantId, 'tenantId');
      pageLimit(limit);
      if (before !== undefined) {
        object(before, 'before', 'a cursor { startedAt, id }');
        epochMs(before.startedAt, 'before.startedAt');
        string(before.id, 'before.id');
      }
    },
  },
  listActive: {
    check: ([startedBefore, limit, after]) => {
      epochMs(startedBefore, 'startedBefore');
      pageLimit(limit);
      if (after !== undefined) {
        object(after, 'after', 'a cursor { startedAt, id }');
        epochMs(after.startedAt, 'after.startedAt');
        string(after.id, 'after.id');
      }
    },
  },
  activeIds: {},
  tenantsWithActive: {},
  ping: {},
  close: {},
};
