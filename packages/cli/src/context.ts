import type { EngineHandle } from './engine.js';
import type { CliIo } from './io.js';
import { type Printer, printer } from './output.js';

/** What every command group gets: the lazily opened engine and the output. */
export interface CommandContext {
  engine: EngineHandle;
  io: CliIo;
  out(options: { json?: boolean }): Printer;
  /** Sets the exit code of a command that ran but reports a failure (e.g. `health` not ready). */
  fail(code: number): void;
}

export function commandContext(
  engine: EngineHandle,
  io: CliIo,
  fail: (code: number) => void,
): CommandContext {
  return { engine, io, out: (o) => printer(io, o.json === true), fail };
}
