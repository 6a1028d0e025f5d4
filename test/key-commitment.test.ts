import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dealKeys, receiveKeys, sealKeyBundle } from '../client-node/key-ceremony.js';
import { receiveCommittedKey } from '../client-node/receive-committed-key.js';
import { FileSiteAudit } from '../client-node/site-audit.js';
import type { FederationView, SiteKeys } from '../client-node/site-keys.js';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { bytesEqual } from '../common/crypto/index.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';

const PROFILE = 'bgv-n2048-q54-t38/v1';
const job = { jobId: 'job-k', profileId: PROFILE, quantizer: { clipRange: 1, maxSites: 10 } };

function siteKeys(siteId: string): SiteKeys {
  const signing = nacl.sign.keyPair();
  const sealing = nacl.box.keyPair();
  return {
    siteId,
    signingPublicKey: signing.publicKey,
    signingSecretKey: signing.secretKey,
    sealingPublicKey: sealing.publicKey,
    sealingSecretKey: sealing.secretKey,
  };
}

const [dealer, holder, joiner] = ['site-a', 'site-b', 'site-c'].map(siteKeys) as [
  SiteKeys,
  SiteKeys,
  SiteKeys,
];
const federation: FederationView = {
  coordinatorSigningKey: nacl.sign.keyPair().publicKey,
  memberBySigningKey: (pk) => {
    const site = [dealer, holder, joiner].find((k) => bytesEqual(k.signingPublicKey, pk));
    return site ? { id: site.siteId, role: 'site' } : undefined;
  },
  siteSealingKey: (id) => [dealer, holder, joiner].find((k) => k.siteId === id)?.sealingPublicKey,
};
const joinerSeat = [{ siteId: joiner.siteId, sealingPublicKey: joiner.sealingPublicKey }];

describe("key commitment: a late joiner checks a holder's key against the dealer's signed commitment (real SEAL)", () => {
  let dealt: { cipher: SiteVectorCipher; bundle: SignedEnvelope };
  let holderCipher: SiteVectorCipher;
  let dir: string;
  let audit: FileSiteAudit;

  beforeAll(async () => {
    dealt = await dealKeys(
      dealer,
      job,
      [dealer, holder].map((k) => ({ siteId: k.siteId, sealingPublicKey: k.sealingPublicKey })),
    );
    holderCipher = (await receiveKeys(holder, federation, dealt.bundle, job)).cipher;
    dir = mkdtempSync(join(tmpdir(), 'hefl-key-commitment-'));
    audit = new FileSiteAudit(
      AuditLogWriter.open(join(dir, 'audit.jsonl'), {
        publicKey: joiner.signingPublicKey,
        secretKey: joiner.signingSecretKey,
      }),
      joiner.signingPublicKey,
    );
  });
  afterAll(() => {
    dealt?.cipher.delete();
    holderCipher?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const joinerLog = () =>
    readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l.length > 0)
      .map((line) => JSON.parse(line) as { action: string; details: Record<string, unknown> });

  it('accepts the job key re-sealed by an honest holder', async () => {
    const grant = sealKeyBundle(holder, holderCipher, job, joinerSeat);
    const { cipher, holder: from } = await receiveCommittedKey(
      { keys: joiner, federation, audit },
      job,
      grant,
      dealt.bundle,
    );
    expect(from).toBe('site-b');
    expect(bytesEqual(cipher.exportSecretKey(), dealt.cipher.exportSecretKey())).toBe(true);
    cipher.delete();
  });

  it('detects a wrong key handed over by a dishonest holder, says so and logs it', async () => {
    const wrong = await generateSiteCipher(PROFILE, job.quantizer);
    // The holder's bundle is self-consistent (its commitment is to the wrong key it seals).
    const grant = sealKeyBundle(holder, wrong, job, joinerSeat);
    wrong.delete();
    await expect(
      receiveKeys(joiner, federation, grant, job).then((r) => r.cipher.delete()),
    ).resolves.toBeUndefined();
    await expect(
      receiveCommittedKey({ keys: joiner, federation, audit }, job, grant, dealt.bundle),
    ).rejects.toThrow(
      /key commitment mismatch: the job key handed over by site-b is not the key dealer site-a committed to/,
    );
    const entries = joinerLog().filter((e) => e.action === 'site.key-commitment-mismatch');
    expect(entries.map((e) => e.details.holder)).toEqual(['site-b']);
  });
});
