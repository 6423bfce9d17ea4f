/**
 * Logger: structured logging. `fields` are flat key/values (correlationId, jobId, …);
 * never pass secrets. Leaves out levels configuration and transports: that is the host's.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}
