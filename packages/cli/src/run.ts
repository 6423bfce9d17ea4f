/**
 * `run(argv, io)`: the `dalston` command as a function (the bin calls it with the process's
 * arguments; tests call it in-process). Resolves with the exit code (see exit-codes.ts);
 * never rejects. Errors print as `dalston: <message>` on stderr, never a stack trace and
 * never a connection string.
 */
import { isDalstonError } from '@dalston/core';
import { Command, CommanderError } from 'commander';
import { jobsCommands } from './commands/jobs.js';
import { keysCommands } from './commands/keys.js';
import { operationsCommands } from './commands/operations.js';
import { queuesCommands } from './commands/queues.js';
import { schedulesCommands } from './commands/schedules.js';
import { tenantsCommands } from './commands/tenants.js';
import { commandContext } from './context.js';
import { engineFromEnv } from './engine.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { type CliIo, processIo } from './io.js';

export function buildProgram(io: CliIo, setExit: (code: number) => void) {
  const engine = engineFromEnv(io);
  const ctx = commandContext(engine, io, setExit);
  const program = new Command('dalston')
    .description(
      'Operate a Dalston engine: the stores come from DALSTON_* environment variables (docs/configuration.md)',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  operationsCommands(program, ctx);
  jobsCommands(program, ctx);
  tenantsCommands(program, ctx);
  keysCommands(program, ctx);
  schedulesCommands(program, ctx);
  queuesCommands(program, ctx);
  // Every subcommand reports usage errors through the same override.
  for (const c of allCommands(program)) c.exitOverride().configureOutput(program.configureOutput());
  return { program, engine };
}

function allCommands(c: Command): Command[] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}

export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.OK;
  const { program, engine } = buildProgram(io, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; a usage error with 1 from commander.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    io.stderr(`dalston: ${message(e)}\n`);
    if (io.env.DALSTON_DEBUG) io.stderr(`${stack(e)}\n`);
    return exitCodeOf(e);
  } finally {
    await engine.close().catch(() => undefined);
  }
}

function message(e: unknown): string {
  if (isDalstonError(e)) return `${e.code}: ${e.message}`;
  return 'unexpected failure (set DALSTON_DEBUG=1 to print it)';
}

/** The stack of a thrown value, read so that a hostile getter cannot throw again. */
function stack(e: unknown): string {
  try {
    return e instanceof Error ? String(e.stack ?? e.message) : 'a non-Error value was thrown';
  } catch {
    return 'the thrown value could not be read';
  }
}
