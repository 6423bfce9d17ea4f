/**
 * The jobs of each tenant in listJobs order, kept sorted by (createdAt, id) ascending, so a
 * page newest first starts at a binary-searched position and stops once it is full.
 * Inserts near the end (the usual case: jobs are created in time order) are cheap.
 */
import { compareText } from './text-order.js';

export interface JobKey {
  createdAt: number;
  id: string;
}

const compareKeys = (a: JobKey, b: JobKey): number => a.createdAt - b.createdAt || compareText(a.id, b.id);

export class TenantJobIndex {
  private readonly byTenant = new Map<string, JobKey[]>();

  add(tenantId: string, key: JobKey): void {
    const keys = this.byTenant.get(tenantId) ?? [];
    if (keys.length === 0) this.byTenant.set(tenantId, keys);
    const at = firstAbove(keys, key);
    keys.splice(at, 0, { createdAt: key.createdAt, id: key.id });
  }

  remove(tenantId: string, key: JobKey): void {
    const keys = this.byTenant.get(tenantId);
    if (!keys) return;
    const at = firstAbove(keys, key) - 1;
    if (at >= 0 && keys[at]!.id === key.id && keys[at]!.createdAt === key.createdAt) keys.splice(at, 1);
    if (keys.length === 0) this.byTenant.delete(tenantId);
  }

  /**
   * The tenant's job ids newest first, strictly before `below` when given, while
   * createdAt >= `from`; `visit` returns false to stop.
   */
  newestFirst(
    tenantId: string,
    below: JobKey | null,
    from: number | undefined,
    visit: (id: string) => boolean,
  ): void {
    const keys = this.byTenant.get(tenantId);
    if (!keys) return;
    let i = below === null ? keys.length - 1 : firstAbove(keys, below, true) - 1;
    for (; i >= 0; i--) {
      const key = keys[i]!;
      if (from !== undefined && key.createdAt < from) return;
      if (!visit(key.id)) return;
    }
  }
}

/** The first index whose key is above `key` (at or above it with `orEqual`). */
function firstAbove(keys: JobKey[], key: JobKey, orEqual = false): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(keys[mid]!, key);
    if (c < 0 || (c === 0 && !orEqual)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
