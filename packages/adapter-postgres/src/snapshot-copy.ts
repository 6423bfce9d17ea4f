/**
 * Deep copies of job snapshots for the store's cache of its own latest state: the records'
 * fields spread, their JSON values (parameters, task input and output, errors, backoff)
 * copied recursively. Several times cheaper than `structuredClone` on these shapes, which
 * goes through V8's serializer; the values are plain JSON (the adapter reads them from
 * `jsonb` or checked them before writing), so nothing else needs preserving.
 */
import type { Job, JobSnapshot, Task } from '@dalston/core/adapter';

export function copyJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const value = copyJson((v as Record<string, unknown>)[k]);
    // A "__proto__" key (JSON.parse makes it an own property) must stay one, not set the prototype.
    if (k === '__proto__')
      Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}

const copyJob = (j: Job): Job => ({ ...j, parameters: copyJson(j.parameters), error: copyJson(j.error) });

const copyTask = (t: Task): Task => ({
  ...t,
  dependsOn: [...t.dependsOn],
  backoff: copyJson(t.backoff),
  input: copyJson(t.input),
  output: copyJson(t.output),
  error: copyJson(t.error),
});

export const copySnapshot = (s: JobSnapshot): JobSnapshot => ({
  job: copyJob(s.job),
  tasks: s.tasks.map(copyTask),
});
