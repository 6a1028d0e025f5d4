#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

/**
 * grpc-js puts the dialled IP address (e.g. 127.0.0.1) in the TLS SNI field, which Node
 * flags as DEP0123. The coordinator's certificate is checked against its IP SAN and pinned
 * by fingerprint, so the warning is noise on every site's terminal; only it is dropped.
 */
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const options = rest[0];
  const code =
    typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
  if (code === 'DEP0123') return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;

/**
 * Output piped into a reader that stops early (`hefl job watch ... | head`): the reader has
 * what it wanted, so hefl stops quietly with 0 instead of crashing on EPIPE.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/**
 * The only place in hefl that turns errors into exit codes (README "When things fail"):
 * 0 success, 1 failed (bad thing checked, failed job, tampered log), 2 usage or unreadable
 * input, 3 unreachable or unavailable (coordinator down, folder or port in use), 130
 * interrupted (Ctrl-C). Failures print one line to stderr.
 */
async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message (or the help text).
      return error.exitCode === 0 ? 0 : 2;
    }
    // Loaded only on failure: the error table pulls in gRPC's status codes.
    const { ERROR_CODES, HeflError } = await import('../common/errors/index.js');
    if (error instanceof HeflError) {
      process.stderr.write(`hefl: ${error.message}\n`);
      return ERROR_CODES[error.code].exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`hefl: unexpected error: ${message.slice(0, 500)}\n`);
    if (process.env.HEFL_DEBUG) console.error(error);
    return 1;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
