/**
 * Printing: `--json` writes the value as one JSON document (stable for scripts); otherwise a
 * plain, aligned table or a `key: value` block for people. Times print as ISO 8601 (UTC).
 */
import type { CliIo } from './io.js';

export const iso = (ms: number | null | undefined): string => (ms == null ? '-' : new Date(ms).toISOString());

/** Renders rows as an aligned table with a header; `(none)` when there are no rows. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return '(none)\n';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** Renders `key: value` lines, keys aligned. */
export function fields(entries: Array<[string, string]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return `${entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n')}\n`;
}

export interface Printer {
  /** Prints `value` as JSON with `--json`, else what `human` renders. */
  print<T>(value: T, human: (value: T) => string): void;
  /** A line for people on stderr (progress, notes); silent with `--json`. */
  note(text: string): void;
}

export function printer(io: CliIo, json: boolean): Printer {
  return {
    print: (value, human) => io.stdout(json ? `${JSON.stringify(value, null, 2)}\n` : human(value)),
    note: (text) => {
      if (!json) io.stderr(`${text}\n`);
    },
  };
}
