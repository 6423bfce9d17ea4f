/**
 * Text no store can keep (NUL, lone surrogates) in caller input: refused by core with
 * VALIDATION_FAILED naming the field, before any store sees it, so the memory and real
 * sets give the same answer; an id holding such text names nothing and reads NOT_FOUND.
 */
import type { ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { DalstonError } from '../../src/domain/errors.js';
import { harness } from './harness.js';

const BAD = ['a\u0000b', 'x\uD800', '\uDC00y'];

describe('unstorable text in caller input', () => {
  it.each(BAD.map((s) => [JSON.stringify(s), s] as const))('%s is refused naming the field', async (_, s) => {
    const h = await harness();
    const { dalston: d, tenantId } = h;
    const job = (await d.jobs.submit({ tenantId }))._unsafeUnwrap();
    const session = (await d.sessions.start({ tenantId }))._unsafeUnwrap();
    const refusals: [ResultAsync<unknown, DalstonError>, string][] = [
      [d.jobs.submit({ tenantId, parameters: { deep: [{ text: s }] } }), 'parameters.deep[0].text'],
      [d.jobs.submit({ tenantId, parameters: { [s]: 1 } }), `parameters.${s}`],
      [d.jobs.submit({ tenantId, idempotencyKey: s }), 'idempotencyKey'],
      [d.jobs.submit({ tenantId, correlationId: s }), 'correlationId'],
      [d.jobs.cancel(tenantId, job.id, s), 'reason'],
      [d.tenants.create({ name: s }), 'name'],
      [d.apiKeys.create({ tenantId, name: s, scopes: ['jobs:read'] }), 'name'],
      [d.sessions.start({ tenantId, fields: { note: s } }), 'fields.note'],
      [d.sessions.update(tenantId, session.id, { fields: { note: s } }), 'patch.fields.note'],
      [d.sessions.end(tenantId, session.id, { status: 'error', error: s }), 'error'],
      [d.rateLimits.check({ algorithm: 'fixed', limit: 1, windowMs: 1000 }, s), 'key'],
    ];
    for (const [pending, field] of refusals) {
      expect((await pending)._unsafeUnwrapErr(), field).toMatchObject({ code: 'VALIDATION_FAILED', field });
    }
    expect((await d.jobs.get(tenantId, s))._unsafeUnwrapErr()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await d.sessions.get(tenantId, s))._unsafeUnwrapErr()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await d.tenants.get(s))._unsafeUnwrapErr()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await d.apiKeys.list(s))._unsafeUnwrap()).toEqual([]);
    expect((await d.jobs.list({ tenantId: s }))._unsafeUnwrap()).toEqual({ jobs: [], nextCursor: null });
    // Nothing was written: one job, one live session.
    expect((await d.jobs.list({ tenantId }))._unsafeUnwrap().jobs).toHaveLength(1);
  });
});
