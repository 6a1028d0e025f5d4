import type { AuditVerification } from '../../common/audit/audit-verification.js';

/**
 * The readable account of a verification `hefl audit verify` prints on stdout: the verdict
 * with the head, then exactly what was checked and against which anchor. Warnings and the
 * fault go to stderr separately.
 */
export function formatAuditVerification(result: AuditVerification): string {
  const { checked, anchor } = result;
  const unanchored = anchor.kind === 'unanchored';
  const lines: string[] = [];
  if (result.ok) {
    lines.push(
      `intact${unanchored ? ' (UNANCHORED)' : ''}: ${result.entries} entries, last seq ${result.lastSeq}, head ${result.lastHash}`,
    );
  } else {
    lines.push(`not intact: first bad entry at ${result.firstBad.file} line ${result.firstBad.line}`);
  }
  const federation = result.federationId === undefined ? '' : `federation "${result.federationId}", `;
  lines.push(
    unanchored
      ? `  trust anchor: NONE, the manifest ${anchor.source} vouched for itself (${federation}coordinator key id ${result.coordinatorKeyId})`
      : `  trust anchor: ${anchorText(anchor.kind)} ${anchor.source} (${federation}coordinator key id ${result.coordinatorKeyId})`,
  );
  if (anchor.manifest !== undefined && !unanchored) {
    lines.push(`  manifest: ${anchor.manifest}, signed by the anchored coordinator key`);
  }
  lines.push(
    checked.signatureMode === 'every'
      ? `  signatures: ${checked.signatures} entry signatures verified (every entry)`
      : `  signatures: the head entry's signature verified; it covers all ${checked.chainLinks} entries through the hash chain (per-entry signatures not checked one by one: --every-signature)`,
    `  hash chain: ${checked.chainLinks} entries re-hashed and linked from the first entry to the head`,
    `  Merkle roots: ${checked.merkleRoots} rounds recomputed from their update digests`,
    `  receipts: ${checked.receipts} site receipts found in their rounds' Merkle roots`,
  );
  if (checked.siteLogs.length === 0) lines.push('  site logs: none given');
  for (const site of checked.siteLogs) {
    const signed = site.signaturesChecked ? 'signatures checked' : 'signatures NOT checked (no manifest)';
    const head =
      site.headChecked === undefined
        ? 'no head of it recorded by the coordinator'
        : `reaches the head at seq ${site.headChecked} the coordinator recorded`;
    lines.push(
      `  site log: ${site.file} (site key id ${site.signer}, ${site.entries} entries, ${signed}, ${head})`,
    );
  }
  for (const record of checked.researcherRecords) lines.push(`  researcher record: ${record}`);
  lines.push(
    `  heads cross-checked: ${checked.coordinatorHeadsCrossChecked} coordinator heads held by sites or researchers, ${checked.siteHeadsCrossChecked} site heads recorded by the coordinator`,
  );
  return `${lines.join('\n')}\n`;
}

function anchorText(kind: 'pinned' | 'key' | 'key-id'): string {
  if (kind === 'pinned') return 'coordinator pinned at enrolment in';
  return kind === 'key' ? 'coordinator key given by' : 'federation id and coordinator key id given by';
}
