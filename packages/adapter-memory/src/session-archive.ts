/**
 * MemorySessionArchive: durable session records in one process, with the PostgreSQL
 * adapter's semantics (CONFLICT on a duplicate id, tenant-scoped reads, close as a
 * compare-and-set on `active` so the first close wins, deep copies in and out).
 */
import type { SessionArchive, SessionClose, SessionCursor, SessionRecord } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';
import { conflict, OpenState } from './store-errors.js';
import { compareText } from './text-order.js';

export class MemorySessionArchive implements SessionArchive {
  private readonly state = new OpenState('sessionArchive');
  private readonly records = new Map<string, SessionRecord>();

  async open(record: SessionRecord): Promise<SessionRecord> {
    this.state.check('open');
    if (this.records.has(record.id)) {
      throw conflict('sessionArchive', 'open', `session ${record.id} already exists`);
    }
    this.records.set(record.id, copy(record));
    return copy(record);
  }

  async get(tenantId: string, sessionId: string): Promise<SessionRecord | null> {
    this.state.check('get');
    const record = this.records.get(sessionId);
    return record && record.tenantId === tenantId ? copy(record) : null;
  }

  async closeRecord(tenantId: string, sessionId: string, close: SessionClose): Promise<SessionRecord | null> {
    this.state.check('closeRecord');
    const record = this.records.get(sessionId);
    if (!record || record.tenantId !== tenantId || record.status !== 'active') return null;
    const { status, endedAt, stats, artifacts, error } = copy(close);
    const closed: SessionRecord = { ...record, status, endedAt, stats, artifacts, error };
    this.records.set(sessionId, closed);
    return copy(closed);
  }

  async listActive(startedBefore: number, limit: number, after?: SessionCursor): Promise<SessionRecord[]> {
    this.state.check('listActive');
    const isAfter = (r: SessionRecord) =>
      !after ||
      r.startedAt > after.startedAt ||
      (r.startedAt === after.startedAt && compareText(r.id, after.id) > 0);
    return [...this.records.values()]
      .filter((r) => r.status === 'active' && r.startedAt < startedBefore && isAfter(r))
      .sort((a, b) => a.startedAt - b.startedAt || compareText(a.id, b.id))
      .slice(0, limit)
      .map(copy);
  }

  async listByTenant(tenantId: string, limit: number, before?: SessionCursor): Promise<SessionRecord[]> {
    this.state.check('listByTenant');
    const isBefore = (r: SessionRecord) =>
      !before ||
      r.startedAt < before.startedAt ||
      (r.startedAt === before.startedAt && compareText(r.id, before.id) < 0);
    return [...this.records.values()]
      .filter((r) => r.tenantId === tenantId && isBefore(r))
      .sort((a, b) => b.startedAt - a.startedAt || compareText(b.id, a.id))
      .slice(0, limit)
      .map(copy);
  }

  async activeIds(tenantId: string): Promise<string[]> {
    this.state.check('activeIds');
    return [...this.records.values()]
      .filter((r) => r.status === 'active' && r.tenantId === tenantId)
      .map((r) => r.id)
      .sort(compareText);
  }

  async tenantsWithActive(): Promise<string[]> {
    this.state.check('tenantsWithActive');
    const tenants = new Set<string>();
    for (const r of this.records.values()) if (r.status === 'active') tenants.add(r.tenantId);
    return [...tenants].sort(compareText);
  }

  async ping(): Promise<void> {
    this.state.check('ping');
  }

  async close(): Promise<void> {
    this.state.close();
  }
}
