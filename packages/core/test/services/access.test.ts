import { describe, expect, it } from 'vitest';
import type { SessionPage } from '../../src/ports/session-store.js';
import type { TenantPage } from '../../src/services/access/tenants-service.js';
import type { ArchivedPage } from '../../src/services/sessions/sessions-service.js';
import { harness } from './harness.js';

describe('apiKeys', () => {
  it('creates a key shown once, verifies it, and refuses revoked, expired and malformed keys alike', async () => {
    const h = await harness();
    const { key, record } = (
      await h.dalston.apiKeys.create({
        tenantId: h.tenantId,
        name: 'ci',
        scopes: ['jobs:read'],
        expiresAt: h.clock.now() + 60_000,
      })
    )._unsafeUnwrap();
    expect(key).toMatch(/^dk_/);
    expect(record).not.toHaveProperty('hash');
    expect((await h.dalston.apiKeys.verify(key))._unsafeUnwrap()).toEqual({
      tenantId: h.tenantId,
      keyId: record.id,
      scopes: ['jobs:read'],
    });
    const generic = (r: { _unsafeUnwrapErr(): { code: string; message: string } }) => r._unsafeUnwrapErr();
    const malformed = generic(await h.dalston.apiKeys.verify('nope'));
    const wrong = generic(
      await h.dalston.apiKeys.verify(`${key.slice(0, -1)}${key.endsWith('a') ? 'b' : 'a'}`),
    );
    await h.advance(61_000);
    const expired = generic(await h.dalston.apiKeys.verify(key));
    for (const e of [malformed, wrong, expired])
      expect(e).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid API key' });

    const second = (
      await h.dalston.apiKeys.create({ tenantId: h.tenantId, name: 'b', scopes: ['admin'] })
    )._unsafeUnwrap();
    (await h.dalston.apiKeys.revoke(h.tenantId, second.record.id))._unsafeUnwrap();
    expect(generic(await h.dalston.apiKeys.verify(second.key)).code).toBe('UNAUTHORIZED');
    expect((await h.dalston.apiKeys.revoke('other', second.record.id))._unsafeUnwrapErr().code).toBe(
      'NOT_FOUND',
    );
    expect((await h.dalston.apiKeys.list(h.tenantId))._unsafeUnwrap()).toHaveLength(2);
  });

  it('records lastUsedAt at most once per throttle interval', async () => {
    const h = await harness({ config: { lastUsedThrottleMs: 60_000 } });
    const { key, record } = (
      await h.dalston.apiKeys.create({ tenantId: h.tenantId, name: 'k', scopes: ['jobs:write'] })
    )._unsafeUnwrap();
    await h.dalston.apiKeys.verify(key);
    await h.advance(0);
    const first = (await h.adapters.apiKeyStore.get(h.tenantId, record.id))!.lastUsedAt;
    expect(first).toBe(h.clock.now());
    await h.advance(1000);
    await h.dalston.apiKeys.verify(key);
    await h.advance(0);
    expect((await h.adapters.apiKeyStore.get(h.tenantId, record.id))!.lastUsedAt).toBe(first);
  });

  it('validates create input by field', async () => {
    const h = await harness();
    const r = await h.dalston.apiKeys.create({ tenantId: h.tenantId, name: 'x', scopes: ['root' as never] });
    expect(r._unsafeUnwrapErr()).toMatchObject({ code: 'VALIDATION_FAILED', field: 'scopes[0]' });
  });
});

describe('tenants', () => {
  it('creates, reads, updates limits and disables', async () => {
    const h = await harness();
    const t = (await h.dalston.tenants.create({ name: 'Beta' }))._unsafeUnwrap();
    expect(t).toMatchObject({ name: 'Beta', disabled: false, limits: {} });
    const updated = (await h.dalston.tenants.updateLimits(t.id, { concurrentJobs: 3 }))._unsafeUnwrap();
    expect(updated.limits).toEqual({ concurrentJobs: 3 });
    expect(
      (await h.dalston.tenants.updateLimits(t.id, { concurrentJobs: -1 }))._unsafeUnwrapErr().field,
    ).toBe('limits.concurrentJobs');
    expect((await h.dalston.tenants.disable(t.id))._unsafeUnwrap().disabled).toBe(true);
    expect((await h.dalston.tenants.get('missing'))._unsafeUnwrapErr().code).toBe('NOT_FOUND');
    expect((await h.dalston.tenants.create({ id: t.id, name: 'dup' }))._unsafeUnwrapErr().code).toBe(
      'CONFLICT',
    );
  });
});

describe('tenants.list', () => {
  it('pages tenants by id with a cursor and refuses a bad limit or cursor by field', async () => {
    const h = await harness();
    for (const id of ['t-c', 't-a', 't-b'])
      (await h.dalston.tenants.create({ id, name: id }))._unsafeUnwrap();
    const all = (await h.dalston.tenants.list())._unsafeUnwrap();
    const ids = all.tenants.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['t-a', 't-b', 't-c']));
    expect(all.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: TenantPage = (await h.dalston.tenants.list({ limit: 2, cursor }))._unsafeUnwrap();
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const bad = (await h.dalston.tenants.list({ limit: 0 }))._unsafeUnwrapErr();
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(bad.message).toContain('limit');
    const badCursor = (await h.dalston.tenants.list({ cursor: 'a\u0000b' }))._unsafeUnwrapErr();
    expect(badCursor.message).toContain('cursor');
  });
});

describe('sessions.list', () => {
  it("pages the tenant's live sessions, not another tenant's, and refuses a bad limit by field", async () => {
    const h = await harness();
    (await h.dalston.tenants.create({ id: 'other', name: 'Other' }))._unsafeUnwrap();
    const mine = [];
    for (let i = 0; i < 3; i++)
      mine.push((await h.dalston.sessions.start({ tenantId: h.tenantId }))._unsafeUnwrap().id);
    (await h.dalston.sessions.start({ tenantId: 'other' }))._unsafeUnwrap();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: SessionPage = (
        await h.dalston.sessions.list(h.tenantId, { limit: 2, cursor })
      )._unsafeUnwrap();
      expect(page.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.sessions.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(mine.sort());
    expect((await h.dalston.sessions.list('nobody'))._unsafeUnwrap().sessions).toEqual([]);
    const bad = (await h.dalston.sessions.list(h.tenantId, { limit: 5000 }))._unsafeUnwrapErr();
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.message).toContain('limit');
  });
});

describe('sessions.listArchived', () => {
  it("pages the tenant's session records newest first, ended ones included, and refuses a bad cursor", async () => {
    const h = await harness();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await h.dalston.sessions.start({ tenantId: h.tenantId }))._unsafeUnwrap().id);
      await h.advance(10);
    }
    (await h.dalston.sessions.end(h.tenantId, ids[0]!, { status: 'completed' }))._unsafeUnwrap();
    const seen: { id: string; status: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: ArchivedPage = (
        await h.dalston.sessions.listArchived(h.tenantId, { limit: 2, cursor })
      )._unsafeUnwrap();
      seen.push(...page.sessions.map((r) => ({ id: r.id, status: r.status })));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([
      { id: ids[2], status: 'active' },
      { id: ids[1], status: 'active' },
      { id: ids[0], status: 'completed' },
    ]);
    const bad = (await h.dalston.sessions.listArchived(h.tenantId, { cursor: 'nope' }))._unsafeUnwrapErr();
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.message).toContain('cursor');
  });
});
