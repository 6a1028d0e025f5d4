import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditHead } from '../../common/audit/audit-head.js';
import { parseAuditHead } from '../../common/audit/parse-audit-head.js';
import { RESEARCHER_HEADS_FILE, researcherHeadLine } from '../../common/audit/researcher-head-record.js';
import { nativeVerifier } from '../../common/crypto/native-ed25519.js';
import { HeflError } from '../../common/errors/index.js';

/**
 * Appends the coordinator's signed audit-log head handed out with a model fetch to
 * `<researcher dir>/audit-heads.jsonl` (fsynced), after checking it against the pinned
 * coordinator key. An auditor passes the file to `hefl audit verify --researcher-record`:
 * the coordinator can then no longer truncate or rewrite its log up to that head (final
 * reports, `job.completed`, model releases) unnoticed. Returns false, recording nothing, when
 * the reply carried no head or one the coordinator's key did not sign.
 */
export function recordSeenHead(
  researcherDir: string,
  jobId: string,
  headJson: Uint8Array,
  coordinatorKey: Uint8Array,
  now: Date = new Date(),
): boolean {
  const head = parseAuditHead(headJson);
  if (!head || !verifyAuditHead(head, nativeVerifier(coordinatorKey))) return false;
  const path = join(researcherDir, RESEARCHER_HEADS_FILE);
  const line = Buffer.from(researcherHeadLine({ jobId, seenAt: now.toISOString(), head }), 'utf8');
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o644);
  } catch (error) {
    throw new HeflError('invalid_argument', `cannot write ${path}`, { cause: error });
  }
  try {
    let written = 0;
    while (written < line.byteLength) written += writeSync(fd, line, written, line.byteLength - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}
