import { describe, expect, it } from 'vitest';
import { fromHex, generateSigningKeyPair, merkleRoot, sha256, toHex } from '../common/crypto/index.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { Receipt, RoundSummary } from '../proto/gen/hefl/v1/messages.js';
import type { CoordinatorClient } from './coordinator-client.js';
import { noSiteAudit } from './site-audit.js';
import { UpdateLedger } from './update-ledger.js';

const coordinator = generateSigningKeyPair();
const digest = (label: string) => toHex(sha256(new TextEncoder().encode(label)));

function receipt(round: number, updateDigest: string, jobId = 'job-1'): SignedEnvelope {
  return signMessage(
    SigningContext.receipt,
    Receipt,
    { jobId, round, siteId: 'site-a', updateDigest: Buffer.from(fromHex(updateDigest)) },
    coordinator.secretKey,
  );
}

function summary(round: number, leaves: Record<string, string>): RoundSummary {
  const participants = Object.keys(leaves).sort();
  const digests = participants.map((p) => fromHex(leaves[p]!));
  return RoundSummary.fromPartial({
    jobId: 'job-1',
    round,
    participants,
    updateDigests: digests.map((d) => Buffer.from(d)),
    merkleRoot: Buffer.from(merkleRoot(digests)),
  });
}

function ledger(stored: Map<number, SignedEnvelope> = new Map()) {
  const fetched: number[] = [];
  const client = {
    fetchReceipt: async (_job: string, round: number) => {
      fetched.push(round);
      return stored.get(round)!;
    },
  } as unknown as CoordinatorClient;
  const book = new UpdateLedger({
    jobId: 'job-1',
    siteId: 'site-a',
    federation: {
      coordinatorSigningKey: coordinator.publicKey,
      memberBySigningKey: () => undefined,
      siteSealingKey: () => undefined,
    },
    client,
    audit: noSiteAudit,
    log: () => {},
  });
  return { book, fetched };
}

describe('UpdateLedger', () => {
  it('accepts only a coordinator-signed receipt for an update this site sent, in this job and round', () => {
    const { book } = ledger();
    const mine = digest('update r1');
    book.recordSent(1, mine);
    expect(() => book.acceptReceipt(1, receipt(1, digest('someone else')), new Set([mine]))).toThrow(
      /does not match an update this site sent/,
    );
    expect(() => book.acceptReceipt(1, receipt(2, mine), new Set([mine]))).toThrow(/does not match/);
    expect(() => book.acceptReceipt(1, receipt(1, mine, 'job-2'), new Set([mine]))).toThrow(/does not match/);
    const forged = signMessage(
      SigningContext.receipt,
      Receipt,
      { jobId: 'job-1', round: 1, updateDigest: Buffer.from(fromHex(mine)) },
      generateSigningKeyPair().secretKey,
    );
    expect(() => book.acceptReceipt(1, forged, new Set([mine]))).toThrow();
    expect(book.hasReceipt(1)).toBe(false);
    book.acceptReceipt(1, receipt(1, mine), new Set([mine]));
    expect(book.hasReceipt(1)).toBe(true);
  });

  it('observes a round it sent nothing for (before it joined or restarted), even when the round lists it', () => {
    const { book } = ledger();
    expect(book.observes(summary(2, { 'site-a': digest('a'), 'site-b': digest('b') }))).toBe(true);
  });

  it('observes a round whose close came before its late update; never one that lists the update it sent', () => {
    const { book } = ledger();
    book.recordSent(3, digest('late'));
    expect(book.observes(summary(3, { 'site-b': digest('b'), 'site-c': digest('c') }))).toBe(true);
    expect(book.observes(summary(3, { 'site-a': digest('late'), 'site-b': digest('b') }))).toBe(false);
  });

  it('checks its update is the Merkle leaf listed for it', () => {
    const { book } = ledger();
    const mine = digest('mine');
    book.recordSent(1, mine);
    book.acceptReceipt(1, receipt(1, mine), new Set([mine]));
    const good = summary(1, { 'site-a': mine, 'site-b': digest('b') });
    expect(book.observes(good)).toBe(false);
    expect(() => book.checkInclusion(good)).not.toThrow();
    const swapped = summary(1, { 'site-a': digest('other'), 'site-b': digest('b') });
    expect(() => book.checkInclusion(swapped)).toThrow(/missing from the round's Merkle root/);
    const badRoot = RoundSummary.fromPartial({ ...good, merkleRoot: Buffer.alloc(32) });
    expect(() => book.checkInclusion(badRoot)).toThrow(/missing from the round's Merkle root/);
  });

  it('recovers a lost receipt only for a round it sent an update in', async () => {
    const mine = digest('sent before the crash');
    const { book, fetched } = ledger(new Map([[4, receipt(4, mine)]]));
    await book.recoverReceipt(3); // nothing sent: nothing to fetch
    expect(fetched).toEqual([]);
    book.recordSent(4, mine);
    await book.recoverReceipt(4);
    expect(fetched).toEqual([4]);
    expect(book.hasReceipt(4)).toBe(true);
    await book.recoverReceipt(4); // already held
    expect(fetched).toEqual([4]);
  });
});
