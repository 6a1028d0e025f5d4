import type { AuditEntry } from './audit-entry.js';
import { parseAuditEntry } from './parse-audit-entry.js';
import { readLogLines } from './read-log-lines.js';

/**
 * The entries of a log for a report, in file order. Unlike `readTimeline`, a line that is
 * not an entry is counted and skipped, not fatal: the report of a damaged log must still be
 * written (its verification names the fault). An unreadable file is `invalid_argument`.
 */
export async function readReportEntries(
  path: string,
): Promise<{ entries: AuditEntry[]; unreadable: number }> {
  const entries: AuditEntry[] = [];
  let unreadable = 0;
  for await (const { text } of readLogLines(path)) {
    if (text.trim() === '') continue;
    try {
      entries.push(parseAuditEntry(text));
    } catch {
      unreadable += 1;
    }
  }
  return { entries, unreadable };
}
