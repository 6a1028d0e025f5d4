import { keyId } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { AuditChainChecker, type AuditFault } from './audit-chain-checker.js';
import { type AuditEntry, SITE_AUDIT_ACTIONS } from './audit-entry.js';
import { parseAuditEntry } from './parse-audit-entry.js';
import { readLogLines } from './read-log-lines.js';

const SITE_ACTIONS = new Set(SITE_AUDIT_ACTIONS);

/** Verifies one site log's own chain and hands each intact entry to `onEntry`. */
export async function readSiteLog(
  file: string,
  trustedSiteSigners: readonly Uint8Array[] | undefined,
  warnings: string[],
  onEntry: (entry: AuditEntry, line: number, site: string) => AuditFault | undefined,
): Promise<AuditFault | undefined> {
  let checker: AuditChainChecker | undefined;
  for await (const { text, line } of readLogLines(file)) {
    if (!checker) {
      const made = siteChecker(file, text, trustedSiteSigners, warnings);
      if (!(made instanceof AuditChainChecker)) return made;
      checker = made;
    }
    const step = checker.check(text, line);
    if ('fault' in step) return step.fault;
    if ('held' in step) continue;
    const fault = onEntry(step.entry, line, step.entry.signer);
    if (fault) return fault;
  }
  return checker?.finish();
}

function siteChecker(
  file: string,
  firstLine: string,
  trustedSiteSigners: readonly Uint8Array[] | undefined,
  warnings: string[],
): AuditChainChecker | AuditFault {
  let signerId = '';
  try {
    signerId = parseAuditEntry(firstLine).signer;
  } catch {
    // The checker reports the malformed line itself.
  }
  const base = { file, signerId, actions: SITE_ACTIONS };
  if (!trustedSiteSigners) {
    warnings.push(`${file}: site signatures not checked (no site keys given)`);
    return new AuditChainChecker({ ...base, verify: undefined });
  }
  const key = trustedSiteSigners.find((k) => keyId(k) === signerId);
  if (!key) {
    if (signerId === '') return new AuditChainChecker({ ...base, verify: () => false });
    return {
      file,
      line: 1,
      seq: 1,
      reason: `signed by an unknown key (${signerId} is not a trusted site key)`,
    };
  }
  return new AuditChainChecker({ ...base, verify: nativeVerifier(key) });
}
