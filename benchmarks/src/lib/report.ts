/**
 * Result rows and the printed table. Each row compares a Dalston figure with a baseline
 * measured in the same run; `ratio` is always dalston / baseline. For higher-is-better
 * figures (throughput) the target is a minimum ratio, for lower-is-better ones (latency,
 * memory) a maximum.
 */
import { writeFileSync } from 'node:fs';

export interface Row {
  suite: string;
  measurement: string;
  /** What the baseline column is (e.g. `BullMQ 6.7.0`). */
  baseline: string;
  dalston: number;
  base: number;
  unit: string;
  /** true: higher is better (throughput); false: lower is better (latency, memory). */
  higherIsBetter: boolean;
  /** The ratio the issue asks for (a minimum, or a maximum when lower is better); null: informational. */
  target: number | null;
  /** Optional extra text (e.g. exactness counts). */
  note?: string;
  /** Overrides the computed pass/fail (e.g. an exactness check). */
  metOverride?: boolean;
}

export const rows: Row[] = [];

export function add(row: Row): Row {
  rows.push(row);
  const r = format(row);
  console.log(
    `  ${r.suite} | ${r.measurement} | ${r.dalston} vs ${r.base} (${r.baseline}) | ${r.ratio} ${r.met}`,
  );
  return row;
}

export function ratioOf(row: Row): number {
  return row.base === 0 ? Number.POSITIVE_INFINITY : row.dalston / row.base;
}

export function metOf(row: Row): boolean | null {
  if (row.metOverride !== undefined) return row.metOverride;
  if (row.target === null) return null;
  return row.higherIsBetter ? ratioOf(row) >= row.target : ratioOf(row) <= row.target;
}

const num = (v: number, unit: string): string => {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
};

function format(row: Row) {
  const ratio = ratioOf(row);
  const met = metOf(row);
  return {
    suite: row.suite,
    measurement: row.measurement,
    dalston: num(row.dalston, row.unit),
    base: num(row.base, row.unit),
    baseline: row.baseline,
    ratio: `${ratio.toFixed(2)}x`,
    target: row.target === null ? '-' : `${row.higherIsBetter ? '>=' : '<='} ${row.target}x`,
    met: met === null ? 'info' : met ? 'yes' : 'NO',
    note: row.note ?? '',
  };
}

/** The results as a Markdown table (also readable in a terminal). */
export function table(): string {
  const header = ['suite', 'measurement', 'Dalston', 'baseline', 'vs', 'ratio', 'target', 'met', 'note'];
  const body = rows.map((r) => {
    const f = format(r);
    return [f.suite, f.measurement, f.dalston, f.base, f.baseline, f.ratio, f.target, f.met, f.note];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function writeJson(file: string, meta: Record<string, unknown>): void {
  const out = rows.map((r) => ({ ...r, ratio: ratioOf(r), met: metOf(r) }));
  writeFileSync(file, `${JSON.stringify({ ...meta, rows: out }, null, 2)}\n`);
}
