import { vi } from 'vitest';
import { buildProgram } from '../../cli/program.js';
import { HeflError } from '../../common/errors/index.js';

/** Runs `hefl ARGS` in-process on the real command tree; returns what it wrote to stdout. */
export async function runCli(...args: string[]): Promise<string> {
  const program = (await buildProgram()).configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

/** Runs `hefl ARGS` expecting it to fail with a HeflError, and returns that error. */
export async function runCliError(...args: string[]): Promise<HeflError> {
  const error = await runCli(...args).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!HeflError.is(error))
    throw new Error(`expected a HeflError from hefl ${args.join(' ')}, got ${String(error)}`);
  return error;
}
