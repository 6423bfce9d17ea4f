/** SessionStore rules: a whole live session on create (its zod schema), a patch's parts, TTLs, pages. */
import { liveSessionSchema } from '../../domain/schemas.js';
import { SESSION_STATUSES } from '../../domain/session.js';
import type { SessionStore } from '../../ports/session-store.js';
import { epochMs, integer, matches, object, pageLimit, positiveInt, string } from '../argument-checks.js';
import { argumentError, type PortRules } from '../guard-port.js';

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkPatch(patch: unknown, options: unknown): void {
  object(patch, 'patch', 'an object { status?, workerId?, fields? }');
  if (patch.status !== undefined && !SESSION_STATUSES.includes(patch.status as never)) {
    throw argumentError('patch.status', `must be one of ${SESSION_STATUSES.join(', ')}`);
  }
  if (patch.workerId !== undefined && patch.workerId !== null && typeof patch.workerId !== 'string') {
    throw argumentError('patch.workerId', 'must be a string or null');
  }
  if (patch.fields !== undefined && !isPlainObject(patch.fields)) {
    throw argumentError('patch.fields', 'must be an object of JSON values');
  }
  object(options, 'options', 'an object { at, ttlMs?, expectedVersion? }');
  epochMs(options.at, 'options.at');
  if (options.ttlMs !== undefined) positiveInt(options.ttlMs, 'options.ttlMs');
  if (options.expectedVersion !== undefined) integer(options.expectedVersion, 'options.expectedVersion');
}

export const sessionStoreRules: PortRules<SessionStore> = {
  create: {
    check: ([session, ttlMs]) => {
      matches(liveSessionSchema, session, 'session');
      positiveInt(ttlMs, 'ttlMs');
    },
  },
  get: {},
  patch: { check: ([, , patch, options]) => checkPatch(patch, options) },
  touch: { check: ([, , ttlMs]) => positiveInt(ttlMs, 'ttlMs') },
  delete: {},
  list: {
    check: ([tenantId, limit, cursor]) => {
      string(tenantId, 'tenantId');
      pageLimit(limit);
      if (cursor != null) string(cursor, 'cursor');
    },
  },
  ping: {},
  close: {},
};
