// Public surface of @dalston/cli: the command as a function, for scripts and tests.
export { EXIT, type ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
export { run } from './run.js';
