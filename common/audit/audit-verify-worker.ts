import { parentPort, workerData } from 'node:worker_threads';
import { keyId } from '../crypto/index.js';
import { nativeVerifier } from '../crypto/native-ed25519.js';
import { COORDINATOR_AUDIT_ACTIONS } from './audit-entry.js';
import type {
  VerifyBatch,
  VerifyBatchResult,
  VerifyItem,
  VerifyWorkerConfig,
} from './audit-verify-protocol.js';
import { entryFact, siteHeadVerifiers } from './entry-facts.js';
import { fastAuditEntry, fastEntryHash } from './fast-audit-entry.js';

/*
 * Worker thread of the parallel verifier: checks each line of a batch on its own (shape,
 * hash, action, signer, signature when asked, detail facts, Merkle roots, site-head
 * signatures) and the links inside the batch. Links across batches, rounds and heads are
 * the ordered pass's (parallel-log-scan.ts).
 */
const config = workerData as VerifyWorkerConfig;
const actions = new Set<string>(COORDINATOR_AUDIT_ACTIONS);
const verify = nativeVerifier(config.coordinatorKey);
const sites = siteHeadVerifiers(config.siteKeys, keyId);
const headSeqs = new Set(config.headSeqs);
const decoder = new TextDecoder('utf-8', { fatal: true });

function check(batch: VerifyBatch): VerifyBatchResult {
  const fail: VerifyBatchResult = { id: batch.id, ok: false };
  let text: string;
  try {
    text = decoder.decode(batch.bytes);
  } catch {
    return fail;
  }
  if (text.includes('\r')) return fail;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const items: VerifyItem[] = [];
  let firstSeq = 0;
  let firstPrev = '';
  let lastSeq = 0;
  let lastHash = '';
  let lastSig = '';
  let signatures = 0;
  for (let i = 0; i < lines.length; i++) {
    const entry = fastAuditEntry(lines[i]!);
    if (!entry || !actions.has(entry.action) || entry.signer !== config.signerId) return fail;
    const hash = fastEntryHash(entry);
    if (hash.toString('hex') !== entry.hash) return fail;
    if (config.everySignature) {
      if (!verify(hash, Buffer.from(entry.sig, 'base64'))) return fail;
      signatures += 1;
    }
    if (i === 0) {
      firstSeq = entry.seq;
      firstPrev = entry.prev;
    } else if (entry.seq !== lastSeq + 1 || entry.prev !== lastHash) {
      return fail;
    }
    lastSeq = entry.seq;
    lastHash = entry.hash;
    lastSig = entry.sig;
    const fact = entryFact(entry, sites);
    if (fact !== undefined || headSeqs.has(entry.seq)) items.push([i + 1, entry.seq, entry.hash, fact]);
  }
  if (lines.length === 0) return fail;
  return {
    id: batch.id,
    ok: true,
    lines: lines.length,
    firstSeq,
    firstPrev,
    lastSeq,
    lastHash,
    lastSig,
    signatures,
    items,
  };
}

parentPort!.on('message', (batch: VerifyBatch) => {
  parentPort!.postMessage(check(batch));
});
