import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { HeflError } from '../../common/errors/index.js';
import { type ParsedJob, parseJobSpec } from '../../common/job/job-spec.js';

/** Alias expansions a job file may use: plenty for anchors, far too few for an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/**
 * Reads a researcher's job file (JSON for `.json`, YAML otherwise — YAML also reads JSON)
 * and validates it once. Failures are `invalid_config` (CLI exit 2) naming the file, with
 * every syntax error (line and column) or every schema problem as one `path: message` line.
 */
export async function readJobFile(path: string): Promise<ParsedJob> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read job file ${path}`, { cause });
  }
  return parseJobText(text, path);
}

/** Parses job text as JSON or YAML (by the file name's extension) and validates it. */
export function parseJobText(raw: string, fileName: string): ParsedJob {
  // Editors on Windows often save UTF-8 with a byte order mark; it is not part of the text.
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  const value =
    extname(fileName).toLowerCase() === '.json' ? parseJson(text, fileName) : parseYaml(text, fileName);
  try {
    return parseJobSpec(value);
  } catch (error) {
    if (!HeflError.is(error, 'invalid_config')) throw error;
    const problems = error.message
      .split('\n')
      .slice(1)
      .map((line) => line.trim());
    throw invalid(fileName, problems, error);
  }
}

function parseJson(text: string, fileName: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw invalid(fileName, [`(syntax): not valid JSON: ${detail}`], cause);
  }
}

function parseYaml(text: string, fileName: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((e) => {
      const at = e.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}` : '(syntax)';
      const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return `${where}: ${message}`;
    });
    throw invalid(fileName, problems, document.errors[0]);
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    // The yaml library refuses alias expansion beyond the count (a "billion laughs" file).
    throw invalid(
      fileName,
      [`(aliases): the file expands YAML aliases too often (limit ${MAX_ALIAS_COUNT}); write the values out`],
      cause,
    );
  }
}

function invalid(fileName: string, problems: readonly string[], cause: unknown): HeflError {
  return new HeflError('invalid_config', `invalid job file ${fileName}:\n  ${problems.join('\n  ')}`, {
    cause,
  });
}
