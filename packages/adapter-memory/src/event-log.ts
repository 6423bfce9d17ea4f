/**
 * The event log of the memory JobStore with the indexes its queries need, so that each
 * read costs what it returns rather than the size of the log: events by job and by tenant
 * (each in id order, found by binary search on the cursor), the unpublished events in id
 * order, and every event by id (for markPublished). Removing a job's events marks them
 * removed; a tenant's list drops removed entries once they are half of it.
 */
import type { DalstonEvent } from '@dalston/core/adapter';
import { copy } from './deep-copy.js';

export interface LoggedEvent {
  event: DalstonEvent;
  published: boolean;
  removed: boolean;
}

export class EventLog {
  private nextEventId = 1;
  private readonly byId = new Map<number, LoggedEvent>();
  private readonly byJob = new Map<string, LoggedEvent[]>();
  private readonly byTenant = new Map<string, { entries: LoggedEvent[]; removed: number }>();
  /** Insertion order is id order: ids only grow. */
  private readonly unpublished = new Map<number, LoggedEvent>();

  /** Records events with fresh ids; `build` makes the stored event from the new id. */
  append(build: (id: number) => DalstonEvent): DalstonEvent {
    const event = build(this.nextEventId++);
    const entry: LoggedEvent = { event, published: false, removed: false };
    this.byId.set(event.id, entry);
    this.unpublished.set(event.id, entry);
    if (event.jobId != null) pushTo(this.byJob, event.jobId, entry);
    const tenant = this.byTenant.get(event.tenantId) ?? { entries: [], removed: 0 };
    if (tenant.entries.length === 0) this.byTenant.set(event.tenantId, tenant);
    tenant.entries.push(entry);
    return event;
  }

  /** The tenant's events with id > after in id order, at most `limit`; only the job's with `jobId`. */
  read(tenantId: string, jobId: string | undefined, after: number, limit: number): DalstonEvent[] {
    const entries = jobId === undefined ? this.byTenant.get(tenantId)?.entries : this.byJob.get(jobId);
    const out: DalstonEvent[] = [];
    if (!entries) return out;
    for (let i = firstAfter(entries, after); i < entries.length && out.length < limit; i++) {
      const { event, removed } = entries[i]!;
      if (!removed && event.tenantId === tenantId) out.push(copy(event));
    }
    return out;
  }

  /** Unpublished events at or before `before`, in id order, at most `limit`. */
  unpublishedUpTo(before: number, limit: number): DalstonEvent[] {
    const out: DalstonEvent[] = [];
    for (const { event } of this.unpublished.values()) {
      if (out.length >= limit) break;
      if (event.at <= before) out.push(copy(event));
    }
    return out;
  }

  markPublished(ids: number[]): void {
    for (const id of ids) {
      const entry = this.byId.get(id);
      if (!entry) continue;
      entry.published = true;
      this.unpublished.delete(id);
    }
  }

  /** True while one of the job's events is not yet marked published. */
  hasUnpublished(jobId: string): boolean {
    return this.byJob.get(jobId)?.some((e) => !e.published) ?? false;
  }

  /** Drops every event of the job from every index; returns how many there were. */
  removeJob(jobId: string): number {
    const entries = this.byJob.get(jobId);
    if (!entries) return 0;
    this.byJob.delete(jobId);
    for (const entry of entries) {
      entry.removed = true;
      this.byId.delete(entry.event.id);
      this.unpublished.delete(entry.event.id);
      const tenant = this.byTenant.get(entry.event.tenantId);
      if (tenant) tenant.removed++;
    }
    for (const tenantId of new Set(entries.map((e) => e.event.tenantId))) this.compact(tenantId);
    return entries.length;
  }

  private compact(tenantId: string): void {
    const tenant = this.byTenant.get(tenantId);
    if (!tenant || tenant.removed * 2 < tenant.entries.length) return;
    tenant.entries = tenant.entries.filter((e) => !e.removed);
    tenant.removed = 0;
    if (tenant.entries.length === 0) this.byTenant.delete(tenantId);
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The index of the first entry with id > after (entries are in id order). */
function firstAfter(entries: LoggedEvent[], after: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.event.id <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
