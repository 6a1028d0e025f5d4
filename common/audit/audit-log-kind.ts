import { HeflError } from '../errors/index.js';
import { COORDINATOR_AUDIT_ACTIONS, SITE_AUDIT_ACTIONS } from './audit-entry.js';
import { readLogLines } from './read-log-lines.js';

const COORDINATOR = new Set<string>(COORDINATOR_AUDIT_ACTIONS);
const SITE = new Set<string>(SITE_AUDIT_ACTIONS);

/**
 * Whose log a file is, judged by its first entry's action: `coordinator`, `site`, or
 * `unknown` (empty, or a first line that is no entry: left to the chain check to name).
 */
export async function auditLogKind(path: string): Promise<'coordinator' | 'site' | 'unknown'> {
  for await (const { text } of readLogLines(path)) {
    let action: unknown;
    try {
      action = (JSON.parse(text) as { action?: unknown } | null)?.action;
    } catch {
      return 'unknown';
    }
    if (typeof action !== 'string') return 'unknown';
    if (COORDINATOR.has(action)) return 'coordinator';
    return SITE.has(action) ? 'site' : 'unknown';
  }
  return 'unknown';
}

/**
 * Refuses a log passed in the wrong place (a site log as the coordinator log, or the
 * reverse) as a usage error (`invalid_argument`, exit 2), not as tampering: nothing in it is
 * wrong, it is just not the log the option is for.
 */
export async function expectAuditLogKind(path: string, expected: 'coordinator' | 'site'): Promise<void> {
  const kind = await auditLogKind(path);
  if (kind === 'unknown' || kind === expected) return;
  if (expected === 'coordinator') {
    throw new HeflError(
      'invalid_argument',
      `${path} is a site audit log (its first entry is a site action), not the coordinator's: pass it with --site-log and give the coordinator's audit.jsonl as LOG`,
    );
  }
  throw new HeflError(
    'invalid_argument',
    `${path} is a coordinator audit log (its first entry is a coordinator action), not a site log: give it as LOG, not with --site-log`,
  );
}
