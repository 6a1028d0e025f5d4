import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaskCorrectionResponder } from '../client-node/privacy/mask-correction-responder.js';
import { MaskFilter } from '../client-node/privacy/mask-filter.js';
import { exactSection } from '../client-node/round-sections.js';
import { FileSiteAudit, noSiteAudit } from '../client-node/site-audit.js';
import type { FederationView, SiteKeys } from '../client-node/site-keys.js';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { bytesEqual } from '../common/crypto/index.js';
import { createAdder } from '../common/he/create-adder.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import type { CiphertextBatch } from '../common/he/index.js';
import type { SiteVectorCipher, VectorAdder } from '../common/he/vector-cipher.js';
import { layoutFromProto, unframeSection } from '../common/protocol/section-framing.js';
import { openMessage, signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { RoundSummary, UpdateHeader } from '../proto/gen/hefl/v1/messages.js';

const PROFILE = 'bgv-n2048-q54-t38/v1';
const JOB = 'job-masks';
const SITES = ['site-a', 'site-b', 'site-c', 'site-d', 'site-e'];
const clock = { now: () => Date.now(), schedule: () => ({ cancel() {} }) };

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

/** The coordinator, played by the test: it signs whatever round summary it likes. */
const coordinator = nacl.sign.keyPair();
const keys = new Map(SITES.map((id) => [id, siteKeys(id)]));
const federation: FederationView = {
  coordinatorSigningKey: coordinator.publicKey,
  memberBySigningKey: (pk) => {
    const site = [...keys.values()].find((k) => bytesEqual(k.signingPublicKey, pk));
    return site ? { id: site.siteId, role: 'site' } : undefined;
  },
  siteSealingKey: (id) => keys.get(id)?.sealingPublicKey,
};

function correctionRequest(included: string[], round = 1, attempt = 0): SignedEnvelope {
  return signMessage(
    SigningContext.roundSummary,
    RoundSummary,
    {
      jobId: JOB,
      round,
      participants: included,
      updateDigests: [],
      merkleRoot: Buffer.alloc(32),
      sections: [],
      aggregateDigest: Buffer.alloc(0),
      closedAtMs: Date.now(),
      absent: [],
      auditHeadJson: Buffer.alloc(0),
      attempt,
      probe: 0,
      maskCorrection: true,
    },
    coordinator.secretKey,
  );
}

/** What the site does on receipt: verify the coordinator's signature, then answer. */
function opened(envelope: SignedEnvelope): RoundSummary {
  return openMessage(SigningContext.roundSummary, RoundSummary, envelope, (pk) =>
    bytesEqual(pk, coordinator.publicKey),
  ).message;
}

interface MaskedSite {
  readonly responder: MaskCorrectionResponder;
  readonly uploads: { header: UpdateHeader; parts: readonly Uint8Array[] }[];
  readonly update: CiphertextBatch;
  readonly values: Float32Array;
}

describe('mask corrections: a malicious coordinator gets no correction that unmasks a site (real SEAL)', () => {
  let cipher: SiteVectorCipher;
  let adder: VectorAdder;
  let dir: string;
  let auditPath: string;
  const sites = new Map<string, MaskedSite>();

  beforeAll(async () => {
    cipher = await generateSiteCipher(PROFILE, { clipRange: 1, maxSites: 10 });
    adder = await createAdder(PROFILE);
    dir = mkdtempSync(join(tmpdir(), 'hefl-mask-correction-'));
    auditPath = join(dir, 'audit.jsonl');
    const t = cipher.plainModulus!;
    // Every site of round 1 masks its update over the five members the round was opened with.
    for (const [i, siteId] of SITES.entries()) {
      const k = keys.get(siteId)!;
      const audit =
        siteId === 'site-a'
          ? new FileSiteAudit(
              AuditLogWriter.open(auditPath, {
                publicKey: k.signingPublicKey,
                secretKey: k.signingSecretKey,
              }),
              k.signingPublicKey,
            )
          : noSiteAudit;
      const masks = new MaskFilter({ keys: k, federation, audit }, { jobId: JOB, minSites: 3 });
      const masker = masks.forRound(1, 0, SITES, t);
      const values = Float32Array.from({ length: 300 }, (_, j) => Math.sin(i * 31 + j) * 0.5);
      const { batch } = cipher.encrypt(values, masker('update', values.length));
      // A second section, as real uploads have: the correction must cover every masked section.
      exactSection(cipher, 'metrics', [i + 1, 2, 3], masker);
      const uploads: MaskedSite['uploads'] = [];
      const client = {
        upload: async (header: SignedEnvelope, parts: readonly Uint8Array[]) => {
          uploads.push({ header: UpdateHeader.decode(header.payload), parts });
          return header;
        },
      };
      const responder = new MaskCorrectionResponder(
        { keys: k, audit, clock, client, log: () => {} },
        { jobId: JOB, minSites: 3 },
        masks,
      );
      sites.set(siteId, { responder, uploads, update: batch, values });
    }
  });
  afterAll(() => {
    cipher?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const victimLog = () =>
    readFileSync(auditPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; details: Record<string, unknown> });

  it('refuses a U of only the victim and a colluder, and logs the refusal in its own audit log', async () => {
    const victim = sites.get('site-a')!;
    await expect(
      victim.responder.answer(opened(correctionRequest(['site-a', 'site-b'])), cipher, () => {}),
    ).rejects.toThrow(/names 2 sites in the sum, corrections need at least 3/);
    expect(victim.uploads).toEqual([]);
    const refused = victimLog().filter((e) => e.action === 'site.mask-correction-refused');
    expect(refused.map((e) => e.details.included)).toEqual([['site-a', 'site-b']]);
  });

  it('answers one U per round attempt; a second request with another U is refused and logged', async () => {
    const victim = sites.get('site-a')!;
    await victim.responder.answer(
      opened(correctionRequest(['site-a', 'site-b', 'site-c'])),
      cipher,
      () => {},
    );
    expect(victim.uploads).toHaveLength(1);
    expect(victim.uploads[0]!.header.maskCorrection).toBe(true);
    await expect(
      victim.responder.answer(opened(correctionRequest(['site-a', 'site-b', 'site-d'])), cipher, () => {}),
    ).rejects.toThrow(/already sent for another set of sites/);
    expect(victim.uploads).toHaveLength(1);
    // The same U again (a coordinator that lost it) gets the same correction, nothing else.
    await victim.responder.answer(
      opened(correctionRequest(['site-a', 'site-b', 'site-c'])),
      cipher,
      () => {},
    );
    expect(victim.uploads).toHaveLength(2);
    const log = victimLog();
    expect(log.filter((e) => e.action === 'site.mask-correction-sent').map((e) => e.details.dropped)).toEqual(
      [
        ['site-d', 'site-e'],
        ['site-d', 'site-e'],
      ],
    );
    expect(
      log.filter((e) => e.action === 'site.mask-correction-refused').map((e) => e.details.included),
    ).toEqual([
      ['site-a', 'site-b'],
      ['site-a', 'site-b', 'site-d'],
    ]);
  });

  it("with the survivors' corrections the sum of U's updates decrypts to their plaintext sum", async () => {
    const U = ['site-a', 'site-b', 'site-c'];
    for (const id of ['site-b', 'site-c'])
      await sites.get(id)!.responder.answer(opened(correctionRequest(U)), cipher, () => {});
    const corrected = adder.startSum(300);
    const uncorrected = adder.startSum(300);
    for (const id of U) {
      const site = sites.get(id)!;
      corrected.add(site.update);
      uncorrected.add(site.update);
      const { header, parts } = site.uploads[0]!;
      const layout = header.sections.find((s) => s.name === 'update')!;
      const offset = header.sections
        .slice(0, header.sections.indexOf(layout))
        .reduce((a, s) => a + s.byteLength, 0);
      const bytes = Buffer.concat(parts.map((p) => Buffer.from(p)));
      const { batch } = unframeSection(
        layoutFromProto(layout),
        bytes.subarray(offset, offset + layout.byteLength),
      );
      corrected.add(batch);
    }
    const sum = cipher.decrypt(corrected.result(), U.length);
    let worst = 0;
    for (let j = 0; j < 300; j++) {
      const expected = U.reduce((a, id) => a + sites.get(id)!.values[j]!, 0);
      worst = Math.max(worst, Math.abs(sum[j]! - expected));
    }
    expect(worst).toBeLessThan(1e-5);
    // Without the corrections the masks with site-d and site-e are still in: garbage.
    const garbage = cipher.decrypt(uncorrected.result(), U.length);
    let off = 0;
    for (let j = 0; j < 300; j++) off = Math.max(off, Math.abs(garbage[j]! - sum[j]!));
    expect(off).toBeGreaterThan(1);
  });
});
