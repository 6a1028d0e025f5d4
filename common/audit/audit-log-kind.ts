import { HeflError } from '../errors/index.js';
import { COORDINATOR_AUDIT_ACTIONS, SITE_AUDIT_ACTIONS } from './audit-entry.js';
import { readLogLines } from './read-log-lines.js';

const COORDINATOR = new Set<string>(COORDINATOR_AUDIT_ACTIONS);
const SITE = new Set<string>(SITE_AUDIT_ACTIONS);

/**
 * Whose log a file is, judged by its first entry: `coordinator` (a coordinator action signed
 * by `coordinatorKeyId`), `site` (a site action signed by another key), or `unknown` (empty,
 * a first line that is no entry, or a mix: left to the chain check to name, so an edited
 * coordinator log is still reported as tampered).
 */
export async function auditLogKind(
  path: string,
  coordinatorKeyId: string,
): Promise<'coordinator' | 'site' | 'unknown'> {
  for await (const { text } of readLogLines(path)) {
    let first: { action?: unknown; signer?: unknown } | null;
    try {
      first = JSON.parse(text) as { action?: unknown; signer?: unknown } | null;
    } catch {
      return 'unknown';
    }
    const action = first?.action;
    const byCoordinator = first?.signer === coordinatorKeyId;
    if (typeof action !== 'string') return 'unknown';
    if (COORDINATOR.has(action) && byCoordinator) return 'coordinator';
    return SITE.has(action) && !byCoordinator ? 'site' : 'unknown';
  }
  return 'unknown';
}

/**
 * Refuses a log passed in the wrong place (a site log as the coordinator log, or the
 * reverse) as a usage error (`invalid_argument`, exit 2), not as tampering: nothing in it is
 * wrong, it is just not the log the option is for.
 */
export async function expectAuditLogKind(
  path: string,
  expected: 'coordinator' | 'site',
  coordinatorKeyId: string,
): Promise<void> {
  const kind = await auditLogKind(path, coordinatorKeyId);
  if (kind === 'unknown' || kind === expected) return;
  if (expected === 'coordinator') {
    throw new HeflError(
      'invalid_argument',
      `${path} is a site audit log (its first entry is a site action signed by another key than the coordinator's), not the coordinator's: pass it with --site-log and give the coordinator's audit.jsonl as LOG`,
    );
  }
  throw new HeflError(
    'invalid_argument',
    `${path} is a coordinator audit log (its first entry is a coordinator action signed by the coordinator), not a site log: give it as LOG, not with --site-log`,
  );
}
