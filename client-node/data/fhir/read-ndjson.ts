import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { HeflError } from '../../../common/errors/index.js';

/** One parsed NDJSON line with its 1-based line number. */
export interface NdjsonLine {
  readonly line: number;
  readonly value: unknown;
}

/**
 * Streams an NDJSON file line by line (FHIR Bulk Data output): memory holds one line at a
 * time, whatever the file size. Blank lines are skipped. A line that is not JSON is
 * `invalid_data` naming `fileName` and the line, never its text; an unreadable file is
 * `invalid_argument`.
 */
export async function* readNdjson(path: string, fileName: string): AsyncGenerator<NdjsonLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
      if (trimmed === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(trimmed);
      } catch {
        throw new HeflError(
          'invalid_data',
          `${fileName}:${line}: not a JSON value (NDJSON wants one resource per line)`,
        );
      }
      yield { line, value };
    }
  } catch (cause) {
    if (cause instanceof HeflError) throw cause;
    throw new HeflError('invalid_argument', `cannot read ${fileName}`, { cause });
  } finally {
    lines.close();
    stream.destroy();
  }
}
