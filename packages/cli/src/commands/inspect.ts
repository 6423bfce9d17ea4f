/**
 * `dalston jobs inspect`: the job's DAG as a tree, each task with its state, attempt and
 * timing. A stage with several parents is drawn under its first parent and referred to
 * (`↑ merge`) under the others, so the tree stays a tree and no stage is printed twice.
 */
import type { JobDetails, TaskView } from '@dalston/core';
import { iso } from '../output.js';

const took = (from: number | null, to: number | null) => {
  if (from === null || to === null) return '-';
  const ms = to - from;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
};

function line(t: TaskView): string {
  const attempts = `attempt ${t.attempt}${t.failures > 0 ? ` (${t.failures} failed of ${t.maxAttempts})` : ''}`;
  const error = t.error ? `  ${t.error.code}: ${t.error.message}` : '';
  return `${t.stage}${t.required ? '' : ' (optional)'}  ${t.status}  ${attempts}  ${took(t.startedAt, t.finishedAt)}${error}`;
}

export function renderTree(job: JobDetails): string {
  const children = new Map<string, TaskView[]>();
  for (const t of job.tasks) {
    for (const p of t.dependsOn) children.set(p, [...(children.get(p) ?? []), t]);
  }
  const shown = new Set<string>();
  const out: string[] = [
    `${job.id}  ${job.status}  created ${iso(job.createdAt)}  ${took(job.startedAt ?? job.createdAt, job.finishedAt)}`,
  ];
  if (job.error)
    out.push(
      `error: ${job.error.code}${job.error.stage ? ` (${job.error.stage})` : ''}: ${job.error.message}`,
    );
  const walk = (t: TaskView, prefix: string, last: boolean) => {
    const branch = last ? '└─ ' : '├─ ';
    if (shown.has(t.stage)) {
      out.push(`${prefix}${branch}↑ ${t.stage}`);
      return;
    }
    shown.add(t.stage);
    out.push(`${prefix}${branch}${line(t)}`);
    const kids = children.get(t.stage) ?? [];
    kids.forEach((k, i) => {
      walk(k, `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1);
    });
  };
  const roots = job.tasks.filter((t) => t.dependsOn.length === 0);
  roots.forEach((r, i) => {
    walk(r, '', i === roots.length - 1);
  });
  return `${out.join('\n')}\n`;
}
