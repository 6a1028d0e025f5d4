import { HeflError } from '../errors/index.js';
import type { AuditEntry, JsonValue } from './audit-entry.js';
import { parseAuditEntry } from './parse-audit-entry.js';
import { readLogLines } from './read-log-lines.js';

export interface TimelineFilter {
  readonly job?: string;
  /** Round number (details.round). */
  readonly round?: number;
  /** Site key id: the actor, `details.site`, or one of `details.participants`. */
  readonly site?: string;
}

/**
 * Streams the entries of a log that match `filter`, in file order. Reads only: it does not
 * verify hashes or signatures (that is `verifyAuditLog`). A malformed line is
 * `invalid_data` naming the line; an unreadable file `invalid_argument`.
 */
export async function* readTimeline(path: string, filter: TimelineFilter = {}): AsyncGenerator<AuditEntry> {
  for await (const { text, line } of readLogLines(path)) {
    let entry: AuditEntry;
    try {
      entry = parseAuditEntry(text);
    } catch (error) {
      throw new HeflError('invalid_data', `${path}:${line}: ${(error as Error).message}`, { cause: error });
    }
    if (matches(entry, filter)) yield entry;
  }
}

function matches(entry: AuditEntry, filter: TimelineFilter): boolean {
  const d = entry.details;
  if (filter.job !== undefined && d.jobId !== filter.job) return false;
  if (filter.round !== undefined && d.round !== filter.round) return false;
  if (filter.site !== undefined) {
    const participants = Array.isArray(d.participants) ? d.participants : [];
    if (entry.actor !== filter.site && d.site !== filter.site && !participants.includes(filter.site))
      return false;
  }
  return true;
}

/** One readable line: time, seq, actor, action and the entry's details in short form. */
export function formatEntry(entry: AuditEntry): string {
  const details = Object.entries(entry.details)
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
  const cause = entry.cause === null ? '' : ` (after #${entry.cause})`;
  return `${entry.time}  #${entry.seq}  ${shortId(entry.actor)}  ${entry.action}${cause}  ${details}`.trimEnd();
}

function shortId(id: string): string {
  return /^[0-9a-f]{32,}$/.test(id) ? `${id.slice(0, 12)}…` : id;
}

function formatValue(value: JsonValue): string {
  if (typeof value === 'string') {
    if (/^[0-9a-f]{32,}$/.test(value)) return `${value.slice(0, 12)}…`;
    return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  }
  if (Array.isArray(value)) {
    return value.length <= 4 ? `[${value.map(formatValue).join(',')}]` : `[${value.length} items]`;
  }
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}:${formatValue(v)}`)
      .join(',')}}`;
  }
  return typeof value === 'number' && !Number.isInteger(value)
    ? String(Number(value.toPrecision(4)))
    : String(value);
}
