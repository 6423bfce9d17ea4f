import type { Logger } from '../ports/logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger that drops everything (the default: a library should be quiet). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** JSON lines on stderr at or above `level`. */
export function jsonLogger(level: Level = 'info', base: Record<string, unknown> = {}): Logger {
  const write = (l: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    process.stderr.write(
      `${JSON.stringify({ t: new Date().toISOString(), level: l, message, ...base, ...fields })}\n`,
    );
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => jsonLogger(level, { ...base, ...fields }),
  };
}
