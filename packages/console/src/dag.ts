/**
 * The job's DAG as an SVG drawn on the server: stages in columns by depth (the longest path
 * from a root), edges from each parent to its child. Every node carries its task id and
 * status, so the page script can repaint it from the live events; each has an accessible
 * name (`stage: status`).
 */
import { type Html, html, raw } from './html.js';

export interface DagTask {
  id: string;
  stage: string;
  status: string;
  dependsOn: readonly string[];
}

const W = 150;
const H = 36;
const GAP_X = 60;
const GAP_Y = 18;
const PAD = 16;

/** Column (depth) of each stage; a dependency on an unknown stage is ignored. */
export function depths(tasks: readonly DagTask[]): Map<string, number> {
  const byStage = new Map(tasks.map((t) => [t.stage, t]));
  const depth = new Map<string, number>();
  const visit = (stage: string, seen: Set<string>): number => {
    const known = depth.get(stage);
    if (known !== undefined) return known;
    if (seen.has(stage)) return 0; // a cycle cannot be stored; stay finite anyway
    seen.add(stage);
    const parents = (byStage.get(stage)?.dependsOn ?? []).filter((p) => byStage.has(p));
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => visit(p, seen)));
    depth.set(stage, d);
    return d;
  };
  for (const t of tasks) visit(t.stage, new Set());
  return depth;
}

export function dagSvg(tasks: readonly DagTask[]): Html {
  if (tasks.length === 0) return html`<p class="muted">No tasks.</p>`;
  const depth = depths(tasks);
  const columns: DagTask[][] = [];
  for (const t of tasks) {
    const c = depth.get(t.stage) ?? 0;
    columns[c] = [...(columns[c] ?? []), t];
  }
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    col.forEach((t, r) => {
      pos.set(t.stage, { x: PAD + c * (W + GAP_X), y: PAD + r * (H + GAP_Y) });
    });
  });
  const width = PAD * 2 + columns.length * W + (columns.length - 1) * GAP_X;
  const height = PAD * 2 + Math.max(...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y;
  const edges = tasks.flatMap((t) =>
    t.dependsOn.flatMap((p) => {
      const from = pos.get(p);
      const to = pos.get(t.stage);
      if (!from || !to) return [];
      const x1 = from.x + W;
      const y1 = from.y + H / 2;
      const x2 = to.x - 4;
      const y2 = to.y + H / 2;
      const mid = (x1 + x2) / 2;
      return [
        html`<path class="edge" data-from="${p}" data-to="${t.stage}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}"/>`,
      ];
    }),
  );
  const nodes = tasks.map((t) => {
    const { x, y } = pos.get(t.stage) ?? { x: 0, y: 0 };
    const label = `${t.stage}: ${t.status}`;
    return html`<g class="node task-${t.status}" data-task-id="${t.id}" data-stage="${t.stage}" data-status="${t.status}" role="img" aria-label="${label}" transform="translate(${x},${y})"><title>${label}</title><rect width="${W}" height="${H}"/><text x="10" y="${H / 2 + 4}">${t.stage.length > 20 ? `${t.stage.slice(0, 19)}…` : t.stage}</text></g>`;
  });
  return html`<svg class="dag" role="group" aria-label="task graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${raw(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9aa5b4"/></marker></defs>',
  )}${edges}${nodes}</svg>`;
}
