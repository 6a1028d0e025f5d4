import { HeflError } from '../../common/errors/index.js';

/** One CSV record with the 1-based physical line it starts on (the header is line 1). */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

export interface CsvRecordOptions {
  /** Single-character separator. */
  readonly delimiter: string;
  /** Names a field by 0-based index for error messages, e.g. "column 'chol'" or "field 3". */
  readonly describeField: (index: number) => string;
}

/**
 * Splits RFC 4180 text into records: quoted fields may contain the delimiter, `""` and line
 * breaks; CRLF, LF and a leading BOM are accepted; lines that are completely empty are
 * skipped. Throws `invalid_data` naming file, line and field for an unterminated quote or
 * text after a closing quote. Never puts cell text into the message.
 */
export function* readCsvRecords(
  text: string,
  fileName: string,
  options: CsvRecordOptions,
): Generator<CsvRecord> {
  const { delimiter, describeField } = options;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new HeflError(
      'invalid_config',
      'CSV delimiter must be one character other than a quote or newline',
    );
  }
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  while (pos < length) {
    const startLine = line;
    const fields: string[] = [];
    let endOfRecord = false;
    let anyQuoted = false;
    while (!endOfRecord) {
      let value: string;
      if (text[pos] === '"') {
        const fieldLine = line;
        anyQuoted = true;
        let parts = '';
        pos++;
        for (;;) {
          const close = text.indexOf('"', pos);
          if (close === -1) {
            throw new HeflError(
              'invalid_data',
              `${fileName}:${fieldLine}: ${describeField(fields.length)}: unterminated quoted field`,
            );
          }
          const chunk = text.slice(pos, close);
          line += countLineBreaks(chunk);
          parts += chunk;
          if (text[close + 1] === '"') {
            parts += '"';
            pos = close + 2;
          } else {
            pos = close + 1;
            break;
          }
        }
        value = parts;
        const next = text[pos];
        if (pos < length && next !== delimiter && next !== '\n' && next !== '\r') {
          throw new HeflError(
            'invalid_data',
            `${fileName}:${line}: ${describeField(fields.length)}: unexpected text after closing quote`,
          );
        }
      } else {
        let end = pos;
        while (end < length) {
          const c = text[end];
          if (c === delimiter || c === '\n' || c === '\r') break;
          if (c === '"') {
            throw new HeflError(
              'invalid_data',
              `${fileName}:${line}: ${describeField(fields.length)}: quote inside an unquoted field`,
            );
          }
          end++;
        }
        value = text.slice(pos, end);
        pos = end;
      }
      fields.push(value);
      if (pos >= length) {
        endOfRecord = true;
      } else if (text[pos] === delimiter) {
        pos++;
      } else {
        pos += text[pos] === '\r' && text[pos + 1] === '\n' ? 2 : 1;
        line++;
        endOfRecord = true;
      }
    }
    const blankLine = fields.length === 1 && fields[0] === '' && !anyQuoted;
    if (!blankLine) yield { line: startLine, fields };
  }
}

function countLineBreaks(chunk: string): number {
  let count = 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    if (c === '\n') count++;
    else if (c === '\r' && chunk[i + 1] !== '\n') count++;
  }
  return count;
}
