import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { HeflError } from '../errors/index.js';

/**
 * Streams the lines of a log file with their 1-based numbers, in constant memory.
 * A missing, unreadable or non-regular file is `invalid_argument` (the CLI's exit 2).
 */
export async function* readLogLines(path: string): AsyncGenerator<{ text: string; line: number }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new Error('not a regular file');
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new HeflError('invalid_argument', `cannot read audit log ${path}: ${why}`, { cause: error });
  }
  const stream = handle.createReadStream({ encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      yield { text, line };
    }
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot read audit log ${path} after line ${line}`, {
      cause: error,
    });
  } finally {
    lines.close();
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
}
