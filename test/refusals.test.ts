import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChannelCredentials, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionFederation } from '../cli/simulate/provision-federation.js';
import { CoordinatorClient } from '../client-node/coordinator-client.js';
import { dealKeys, receiveKeys } from '../client-node/key-ceremony.js';
import { bytesEqual, generateSigningKeyPair, sha256, toHex } from '../common/crypto/index.js';
import { generateSiteCipher } from '../common/he/create-cipher.js';
import type { SiteVectorCipher } from '../common/he/vector-cipher.js';
import {
  COORDINATOR_FILES,
  channelCredentials,
  createEnrolmentRequest,
  loadCoordinatorIdentity,
  loadMemberKeys,
  MEMBER_FILES,
  type MemberIdentity,
  revokeMember,
  saveCoordinatorManifest,
} from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { openMessage, signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import {
  JobCancellation,
  JobDecision,
  JobSubmission,
  KeyBundle,
  Receipt,
  UpdateHeader,
} from '../proto/gen/hefl/v1/messages.js';
import { ResearcherServiceClient, type SubmitJobReply } from '../proto/gen/hefl/v1/services.js';
import {
  type EncryptedUpdate,
  encryptedUpdate,
  flipBit,
  refusal,
  ScriptedSite,
  subscribeOutcome,
} from './support/scripted-site.js';
import { startTlsFederation, type TlsFederation, waitUntil } from './support/tls-federation.js';

/*
 * Acceptance tests of issue 4 ("who may speak"): every forged, replayed, misrouted or
 * unauthorised request gets a clear refusal (gRPC status + public message), and the
 * coordinator goes on serving the legitimate sites. One job runs through the file, played
 * step by step by three scripted sites over the production mutual-TLS coordinator. The job's
 * legitimate steps are stages (`submitted`, `recruited`, `running`, ... below), each taken
 * once, by whichever test first needs it: every test brings the job to the stage it needs,
 * refuses something, and checks the stage's legitimate step. No test depends on another's
 * effects, so one failure does not cascade and `-t` runs any one of them alone.
 */

/** Runs `step` once; later calls get the same outcome (a stage of the shared job). */
function once<T>(step: () => Promise<T>): () => Promise<T> {
  let run: Promise<T> | undefined;
  return () => {
    run ??= step();
    return run;
  };
}

const JOB = parseJobSpec({
  name: 'refusals',
  model: { kind: 'logreg' },
  rounds: 1,
  minSites: 3,
  maxSites: 3,
  data: { label: 'event' },
  recruitSeconds: 30,
  roundDeadlineSeconds: 60,
});
const QUANTIZER = { clipRange: JOB.spec.he.clipRange, maxSites: JOB.spec.maxSites };
type ResearcherRpc = InstanceType<typeof ResearcherServiceClient>;

function submission(signingSecretKey: Uint8Array, sealingPublicKey: Uint8Array): SignedEnvelope {
  return signMessage(
    SigningContext.jobSubmission,
    JobSubmission,
    {
      specJson: Buffer.from(JOB.canonical),
      nonce: randomBytes(16),
      sentAtMs: Date.now(),
      researcherSealingKey: Buffer.from(sealingPublicKey),
    },
    signingSecretKey,
  );
}

function submitJob(client: ResearcherRpc, envelope: SignedEnvelope): Promise<SubmitJobReply> {
  return new Promise((resolve, reject) =>
    client.submitJob(envelope, (error, reply) => (error ? reject(error) : resolve(reply!))),
  );
}

function cancelJob(client: ResearcherRpc, envelope: SignedEnvelope): Promise<void> {
  return new Promise((resolve, reject) =>
    client.cancelJob(envelope, (error) => (error ? reject(error) : resolve())),
  );
}

function researcherRpc(address: string, creds: ChannelCredentials): ResearcherRpc {
  return new ResearcherServiceClient(address, creds);
}

/** Re-encodes a signed payload with `change` applied, keeping the original signature. */
function withPayload<T>(
  envelope: SignedEnvelope,
  codec: { decode(b: Uint8Array): T; encode(m: T): { finish(): Uint8Array } },
  change: (message: T) => T,
): SignedEnvelope {
  const payload = codec.encode(change(codec.decode(envelope.payload))).finish();
  return { ...envelope, payload: Buffer.from(payload) };
}

function expectRefused(error: ServiceError, code: status, details: string | RegExp): void {
  expect({ code: error.code, details: error.details }).toEqual({
    code,
    details: typeof details === 'string' ? details : expect.stringMatching(details),
  });
}

describe('who may speak: refusals over real mutual TLS, and the coordinator keeps serving', () => {
  let fed: TlsFederation;
  let researcher: MemberIdentity;
  let researcherClient: ResearcherRpc;
  let a: ScriptedSite;
  let b: ScriptedSite;
  let c: ScriptedSite;
  const ciphers = new Map<string, SiteVectorCipher>();
  const extraClients: { close(): void }[] = [];
  const scratch: string[] = [];
  let jobId = '';
  let aRound0: EncryptedUpdate;
  /** A real HE cipher that belongs to no job, for messages refused before their data is read. */
  let strayCipher: SiteVectorCipher;

  const auditLog = () => readFileSync(join(fed.provisioned.coordinatorDir, 'audit.jsonl'), 'utf8');
  const coordinatorKey = () => researcher.coordinatorSigningPublicKey;
  const clientFor = async (id: string) => {
    const identity = await fed.member(id);
    const client = new CoordinatorClient(fed.address, channelCredentials(identity.tls));
    extraClients.push(client);
    return { client, identity };
  };
  /** A new, legitimate connection (site-e, not in the job) is authenticated and streamed to. */
  const expectStillServing = async () => {
    const { client, identity } = await clientFor('site-e');
    const outcome = await subscribeOutcome(client, new ScriptedSite(identity, fed.address).hello());
    expect(outcome.error).toBeUndefined();
    expect(outcome.task?.$case).toBe('manifest');
  };
  const openReceipt = (envelope: SignedEnvelope) =>
    openMessage(SigningContext.receipt, Receipt, envelope, (pk) => bytesEqual(pk, coordinatorKey())).message;

  // The job's legitimate steps, each taken once by the first test that needs it.
  /** The real researcher submits the job; the three sites are offered it. */
  const submitted = once(async () => {
    const reply = await submitJob(
      researcherClient,
      submission(researcher.signingKey.secretKey, researcher.sealingKey.publicKey),
    );
    jobId = reply.jobId;
    await Promise.all([a, b, c].map((s) => s.waitForTask('jobOffer', (o) => o.jobId === jobId)));
    return reply;
  });
  /** site-e (not taking part) declines, the three sites accept: the dealer gets the key ceremony. */
  const recruited = once(async () => {
    await submitted();
    const e = new ScriptedSite(
      await fed.member('site-e'),
      fed.address,
      channelCredentials((await fed.member('site-e')).tls),
    );
    extraClients.push(e);
    await e.client.decide(
      signMessage(
        SigningContext.jobDecision,
        JobDecision,
        {
          jobId,
          jobHash: JOB.hash,
          siteId: 'site-e',
          accept: false,
          reason: 'policy',
          nonce: randomBytes(16),
        },
        e.keys.signingSecretKey,
      ),
    );
    for (const site of [a, b, c]) await site.client.decide(site.decision(jobId, JOB.hash));
    return a.waitForTask('keyCeremony', (k) => k.jobId === jobId);
  });
  const keyJob = () => ({ jobId, profileId: JOB.spec.he.profile, quantizer: QUANTIZER });
  /** The dealer (site-a) makes the job key and its bundle (not posted yet). */
  const dealt = once(async () => {
    const ceremony = await recruited();
    const sites = ceremony.sites.map((s) => ({
      siteId: s.siteId,
      sealingPublicKey: new Uint8Array(s.sealingPublicKey),
    }));
    const deal = await dealKeys(a.keys, keyJob(), sites);
    ciphers.set('site-a', deal.cipher);
    return { ...deal, sites };
  });
  /** The dealer's bundle is relayed; b and c open the key from it; round 0 opens. */
  const running = once(async () => {
    const deal = await dealt();
    await a.client.postKeyBundle(deal.bundle);
    const opened: { site: string; dealer: string; sameKey: boolean }[] = [];
    for (const site of [b, c]) {
      const delivery = await site.waitForTask('keyBundle', (d) => d.jobId === jobId);
      const { cipher, dealer } = await receiveKeys(site.keys, site.federation, delivery.bundle!, keyJob());
      ciphers.set(site.keys.siteId, cipher);
      opened.push({
        site: site.keys.siteId,
        dealer,
        sameKey: bytesEqual(cipher.exportSecretKey(), deal.cipher.exportSecretKey()),
      });
    }
    await Promise.all(
      [a, b, c].map((s) => s.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 0)),
    );
    return opened;
  });
  /** Each site's round-`round` update, uploaded once; resolves with the coordinator's receipt. */
  const uploaded = new Map<string, () => Promise<Receipt>>();
  const uploadOnce = (site: ScriptedSite, round: number, update?: () => EncryptedUpdate) => {
    const key = `${site.keys.siteId}/${round}`;
    if (!uploaded.has(key)) {
      uploaded.set(
        key,
        once(async () => {
          await (round === 0 ? running() : round1Open());
          const u =
            update?.() ?? encryptedUpdate(site.keys, ciphers.get(site.keys.siteId)!, { jobId, round });
          return openReceipt(await site.client.upload(u.header, u.parts));
        }),
      );
    }
    return uploaded.get(key)!();
  };
  /** site-a's round-0 update (kept: later tests replay it). */
  const aRound0Uploaded = () =>
    uploadOnce(a, 0, () => {
      aRound0 = encryptedUpdate(a.keys, ciphers.get('site-a')!, { jobId, round: 0 });
      return aRound0;
    });
  /** All three round-0 updates are in: round 0 closes for every site. */
  const round0Closed = once(async () => {
    await aRound0Uploaded();
    await uploadOnce(b, 0);
    await uploadOnce(c, 0);
    return Promise.all(
      [a, b, c].map((s) => s.waitForTask('roundClosed', (r) => r.jobId === jobId && r.round === 0)),
    );
  });
  /** The sites report the same model: round 1 opens. */
  const round1Open = once(async () => {
    await round0Closed();
    for (const site of [a, b, c]) await site.client.report(site.report(jobId, 0, 'same-model-hash'));
    await Promise.all(
      [a, b, c].map((s) => s.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 1)),
    );
  });
  /** The coordinator's operator revokes site-d in the manifest on disk; resolves once reloaded (ms taken). */
  const siteDRevoked = once(async () => {
    await submitted();
    const coordinator = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
    const reloads = fed.logs.filter((l) => l.event === 'manifest.reloaded').length;
    await saveCoordinatorManifest(
      fed.provisioned.coordinatorDir,
      revokeMember(coordinator.manifest, 'site-d', coordinator.signingKey.secretKey),
    );
    const started = Date.now();
    await waitUntil(
      () => (fed.logs.filter((l) => l.event === 'manifest.reloaded').length > reloads ? true : undefined),
      3_000,
      'the coordinator to reload manifest.json',
    );
    return Date.now() - started;
  });

  beforeAll(async () => {
    fed = await startTlsFederation(['site-a', 'site-b', 'site-c', 'site-d', 'site-e']);
    researcher = await fed.member('researcher');
    strayCipher = await generateSiteCipher(JOB.spec.he.profile, QUANTIZER);
    researcherClient = researcherRpc(fed.address, channelCredentials(researcher.tls));
    a = new ScriptedSite(await fed.member('site-a'), fed.address);
    b = new ScriptedSite(await fed.member('site-b'), fed.address);
    c = new ScriptedSite(await fed.member('site-c'), fed.address);
    await Promise.all([a.connect(), b.connect(), c.connect()]);
  });

  afterAll(async () => {
    for (const site of [a, b, c]) site?.close();
    for (const client of extraClients) client.close();
    researcherClient?.close();
    for (const cipher of ciphers.values()) cipher.delete();
    strayCipher?.delete();
    await fed?.stop();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a plaintext connection (no TLS) before any handler runs', async () => {
    const plaintext = new CoordinatorClient(fed.address, credentials.createInsecure());
    extraClients.push(plaintext);

    const error = await refusal(plaintext.decide(a.decision('job-x', 'hash')));
    const stream = await subscribeOutcome(plaintext, a.hello());

    expect(error.code).toBe(status.UNAVAILABLE);
    expect(stream.error?.code).toBe(status.UNAVAILABLE);
    await expectStillServing();
  });

  it('refuses a client certificate issued by another federation’s CA', async () => {
    const otherRoot = mkdtempSync(join(tmpdir(), 'hefl-other-ca-'));
    scratch.push(otherRoot);
    const other = await provisionFederation(otherRoot, ['site-a']);
    const foreign = await loadMemberKeys(other.siteDirs[0]!.dir);
    const foreignCert = readFileSync(join(other.siteDirs[0]!.dir, MEMBER_FILES.tlsCertificate));
    const realCa = Buffer.from((await fed.member('site-a')).tls.caPem);
    // Trusts the real coordinator, presents the other federation's certificate.
    const intruder = new CoordinatorClient(
      fed.address,
      credentials.createSsl(realCa, Buffer.from(foreign.tlsKeyPem), foreignCert),
    );
    extraClients.push(intruder);

    const error = await refusal(intruder.decide(a.decision('job-x', 'hash')));

    expect(error.code).toBe(status.UNAVAILABLE);
    // Control: the same construction with this federation's certificate reaches the handler.
    const own = (await fed.member('site-e')).tls;
    const control = new CoordinatorClient(
      fed.address,
      credentials.createSsl(realCa, Buffer.from(own.keyPem), Buffer.from(own.certPem)),
    );
    extraClients.push(control);
    const e = new ScriptedSite(await fed.member('site-e'), fed.address);
    const reached = await refusal(control.decide(e.decision('job-none', 'hash')));
    expectRefused(reached, status.NOT_FOUND, 'not found: no job job-none');
    await expectStillServing();
  });

  it('refuses a key that was never admitted: UNAUTHENTICATED, and writes it to the audit log', async () => {
    const stranger = generateSigningKeyPair();
    const update = encryptedUpdate(a.keys, strayCipher, {
      jobId: 'job-x',
      round: 0,
      signingSecretKey: stranger.secretKey,
    });
    // A member that enrolled and holds a certificate from the federation CA, but was never admitted.
    const pendingDir = join(fed.root, 'pending-site');
    await createEnrolmentRequest({ id: 'site-x', role: 'site', dir: pendingDir });
    const pending = await loadMemberKeys(pendingDir);
    const { csr } = JSON.parse(readFileSync(join(pendingDir, MEMBER_FILES.enrolmentRequest), 'utf8')).request;
    const { ca } = await loadCoordinatorIdentity(fed.provisioned.coordinatorDir);
    const pendingCert = await ca.issueClientCertificate({ csrPem: csr }, 'site-x');
    const pendingClient = new CoordinatorClient(
      fed.address,
      credentials.createSsl(
        Buffer.from(ca.certificatePem),
        Buffer.from(pending.tlsKeyPem),
        Buffer.from(pendingCert),
      ),
    );
    extraClients.push(pendingClient);

    const decide = await refusal(a.client.decide(a.decision('job-x', 'hash', stranger.secretKey)));
    const upload = await refusal(a.client.upload(update.header, update.parts));
    const unadmittedCert = await refusal(
      pendingClient.decide(a.decision('job-x', 'hash', pending.signingKey.secretKey)),
    );

    expectRefused(decide, status.UNAUTHENTICATED, 'unauthenticated');
    expectRefused(upload, status.UNAUTHENTICATED, 'unauthenticated');
    expectRefused(unadmittedCert, status.UNAUTHENTICATED, 'unauthenticated: TLS certificate is not admitted');
    expect(auditLog()).toMatch(
      /"request\.refused".*unauthenticated: hefl\.v1\/job-decision envelope signed by unknown key/,
    );
    await expectStillServing();
  });

  it('refuses an admitted site’s message whose signature or signed bytes were altered', async () => {
    const decision = b.decision('job-x', 'hash');

    const badSignature = await refusal(
      b.client.decide({ ...decision, signature: flipBit(decision.signature, 17) }),
    );
    const badPayload = await refusal(b.client.decide({ ...decision, payload: flipBit(decision.payload, 3) }));

    expectRefused(badSignature, status.UNAUTHENTICATED, 'unauthenticated');
    expectRefused(badPayload, status.UNAUTHENTICATED, 'unauthenticated');
    await expectStillServing();
  });

  it('refuses a researcher command signed by a site key: PERMISSION_DENIED; the researcher’s own works', async () => {
    const siteAsResearcher = researcherRpc(fed.address, channelCredentials((await fed.member('site-a')).tls));
    extraClients.push(siteAsResearcher);
    const forgedCancel = signMessage(
      SigningContext.jobCancellation,
      JobCancellation,
      { jobId: 'job-x', reason: 'forged', nonce: randomBytes(16) },
      a.keys.signingSecretKey,
    );

    const jobsBefore = fed.coordinator.jobs.all().length;
    const submit = await refusal(
      submitJob(siteAsResearcher, submission(a.keys.signingSecretKey, a.keys.sealingPublicKey)),
    );
    const cancel = await refusal(cancelJob(siteAsResearcher, forgedCancel));

    const detail = 'permission denied: this request needs the researcher role, the signer is a site';
    expectRefused(submit, status.PERMISSION_DENIED, detail);
    expectRefused(cancel, status.PERMISSION_DENIED, detail);
    expect(fed.coordinator.jobs.all()).toHaveLength(jobsBefore);
    // Still serving: the real researcher submits the job the rest of this file runs.
    const reply = await submitted();
    expect(reply.jobHash).toBe(JOB.hash);
  });

  it('refuses a site command signed by a researcher key, or by a site over another site’s TLS connection', async () => {
    await submitted();
    const { client: asResearcher } = await clientFor('researcher');
    const researcherDecision = signMessage(
      SigningContext.jobDecision,
      JobDecision,
      { jobId, jobHash: JOB.hash, siteId: 'researcher', accept: true, nonce: randomBytes(16) },
      researcher.signingKey.secretKey,
    );
    const researcherUpload = encryptedUpdate({ ...a.keys, siteId: 'researcher' }, strayCipher, {
      jobId,
      round: 0,
      signingSecretKey: researcher.signingKey.secretKey,
    });

    const decide = await refusal(asResearcher.decide(researcherDecision));
    const upload = await refusal(asResearcher.upload(researcherUpload.header, researcherUpload.parts));
    const crossed = await refusal(b.client.decide(a.decision(jobId, JOB.hash)));

    const detail = 'permission denied: this request needs the site role, the signer is a researcher';
    expectRefused(decide, status.PERMISSION_DENIED, detail);
    expectRefused(upload, status.PERMISSION_DENIED, detail);
    expectRefused(
      crossed,
      status.PERMISSION_DENIED,
      'permission denied: the TLS client certificate and the signing key belong to different members',
    );
    expect(auditLog()).toMatch(/"request\.refused".*permission_denied/);
    // Still serving: the three sites accept (site-e, not taking part, declines).
    const ceremony = await recruited();
    expect(ceremony.sites.map((s) => s.siteId)).toEqual(['site-a', 'site-b', 'site-c']);
  });

  it('refuses a key bundle not made by the dealer; sites refuse tampered bundles and open the real one', async () => {
    const deal = await dealt();
    const { sites } = deal;
    const job = keyJob();
    const bByOwnHand = await dealKeys(b.keys, job, sites);
    bByOwnHand.cipher.delete();
    const aResignedByB = signMessage(
      SigningContext.keyBundle,
      KeyBundle,
      KeyBundle.decode(deal.bundle.payload),
      b.keys.signingSecretKey,
    );
    const sealedTampered = (bundle: KeyBundle): KeyBundle => ({
      ...bundle,
      sealed: bundle.sealed.map((s) =>
        s.siteId === 'site-b' ? { ...s, ciphertext: flipBit(s.ciphertext, 40) } : s,
      ),
    });
    const tamperedKeepSignature = withPayload(deal.bundle, KeyBundle, sealedTampered);

    // At the coordinator (which only relays): only the dealer's own signed bundle is taken.
    const notDealer = await refusal(b.client.postKeyBundle(bByOwnHand.bundle));
    const wrongSigner = await refusal(b.client.postKeyBundle(aResignedByB));
    const altered = await refusal(a.client.postKeyBundle(tamperedKeepSignature));
    expectRefused(notDealer, status.PERMISSION_DENIED, 'permission denied: not the dealer');
    expectRefused(
      wrongSigner,
      status.PERMISSION_DENIED,
      'permission denied: dealer id does not match the signing key',
    );
    expectRefused(altered, status.UNAUTHENTICATED, 'unauthenticated');

    // At a site (which must not trust the relay): tampered bundles are refused.
    const resign = (bundle: KeyBundle, secretKey: Uint8Array) =>
      signMessage(SigningContext.keyBundle, KeyBundle, bundle, secretKey);
    const original = KeyBundle.decode(deal.bundle.payload);
    const attempts = {
      'sealed key altered, signature kept': tamperedKeepSignature,
      'sealed key altered, re-signed by the dealer': resign(
        sealedTampered(original),
        a.keys.signingSecretKey,
      ),
      're-signed by another site': resign(original, c.keys.signingSecretKey),
      'signed by a key never admitted': resign(original, generateSigningKeyPair().secretKey),
      'for another job, re-signed by the dealer': resign(
        { ...original, jobId: 'job-other' },
        a.keys.signingSecretKey,
      ),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, envelope] of Object.entries(attempts)) {
      outcomes[name] = await receiveKeys(b.keys, b.federation, envelope, job).then(
        (r) => {
          r.cipher.delete();
          return 'accepted';
        },
        (error: { code?: string }) => error.code ?? 'unknown error',
      );
    }
    expect(outcomes).toEqual({
      'sealed key altered, signature kept': 'unauthenticated',
      'sealed key altered, re-signed by the dealer': 'integrity',
      're-signed by another site': 'integrity',
      'signed by a key never admitted': 'unauthenticated',
      'for another job, re-signed by the dealer': 'integrity',
    });

    // Still serving: the dealer's bundle is relayed, and b and c open the dealer's key from it.
    expect(await running()).toEqual([
      { site: 'site-b', dealer: 'site-a', sameKey: true },
      { site: 'site-c', dealer: 'site-a', sameKey: true },
    ]);
  });

  it('refuses a replayed update (same signed header and data) with ALREADY_EXISTS', async () => {
    const receipt = await aRound0Uploaded();

    const replay = await refusal(a.client.upload(aRound0.header, aRound0.parts));

    expect({ job: receipt.jobId, round: receipt.round, site: receipt.siteId }).toEqual({
      job: jobId,
      round: 0,
      site: 'site-a',
    });
    expectRefused(replay, status.ALREADY_EXISTS, 'message replayed: nonce already used');
    // A second, different update for the round is refused after its bytes arrived: they are
    // deleted again, while the accepted update's stay (its round is still being collected).
    const second = encryptedUpdate(a.keys, ciphers.get('site-a')!, { jobId, round: 0 });
    const again = await refusal(a.client.upload(second.header, second.parts));
    expectRefused(
      again,
      status.ALREADY_EXISTS,
      'already exists: an update for this round was already accepted',
    );
    const blobPath = (update: typeof second) => {
      const digest = toHex(sha256(...update.parts));
      return join(fed.provisioned.coordinatorDir, 'blobs', digest.slice(0, 2), digest);
    };
    expect(existsSync(blobPath(aRound0)), 'the accepted update is kept').toBe(true);
    expect(existsSync(blobPath(second)), 'the refused update is deleted').toBe(false);
    // Still serving: b's own update is taken.
    expect((await uploadOnce(b, 0)).siteId).toBe('site-b');
  });

  it('refuses an update for another job or another round, naming it; a retargeted signed header fails its signature', async () => {
    await running();
    const cipher = ciphers.get('site-c')!;
    const otherJob = encryptedUpdate(c.keys, cipher, { jobId: 'job-elsewhere', round: 0 });
    const nextRound = encryptedUpdate(c.keys, cipher, { jobId, round: 1 });
    const genuine = encryptedUpdate(c.keys, cipher, { jobId, round: 0 });
    const retargeted = withPayload(genuine.header, UpdateHeader, (h) => ({ ...h, jobId: 'job-elsewhere' }));
    const rerounded = withPayload(genuine.header, UpdateHeader, (h) => ({ ...h, round: 1 }));
    // c has sent none of these before: whichever test took round 0 on, c's update is still to come.

    const job = await refusal(c.client.upload(otherJob.header, otherJob.parts));
    const round = await refusal(c.client.upload(nextRound.header, nextRound.parts));
    const movedJob = await refusal(c.client.upload(retargeted, genuine.parts));
    const movedRound = await refusal(c.client.upload(rerounded, genuine.parts));

    expectRefused(job, status.NOT_FOUND, 'not found: no job job-elsewhere');
    expectRefused(
      round,
      status.FAILED_PRECONDITION,
      'not allowed in the current state: round 1 is not the current round (0)',
    );
    expectRefused(movedJob, status.UNAUTHENTICATED, 'unauthenticated');
    expectRefused(movedRound, status.UNAUTHENTICATED, 'unauthenticated');
    // Still serving: c's genuine update (with a's and b's) closes round 0 for all three sites.
    const closed = await round0Closed();
    expect(closed).toHaveLength(3);
    expect(fed.coordinator.jobs.get(jobId).rounds[0]?.state).toBe('closed');
  });

  it('refuses a round-0 update replayed into round 1', async () => {
    await aRound0Uploaded();
    await round1Open();

    const replay = await refusal(a.client.upload(aRound0.header, aRound0.parts));

    expectRefused(
      replay,
      status.FAILED_PRECONDITION,
      'not allowed in the current state: round 0 is not the current round (1)',
    );
    expect((await uploadOnce(c, 1)).round).toBe(1);
  });

  it('refuses a site revoked in the manifest on disk, within about a second, without a restart', async () => {
    await submitted();
    const { client: dClient, identity: d } = await clientFor('site-d');
    const dSite = new ScriptedSite(d, fed.address);
    extraClients.push(dSite);
    const before = await subscribeOutcome(dClient, dSite.hello());
    expect(before.task?.$case).toBe('manifest');

    const reloadMs = await siteDRevoked();
    const decide = await refusal(dClient.decide(dSite.decision(jobId, JOB.hash)));

    expect(reloadMs).toBeLessThan(1_500);
    expectRefused(decide, status.PERMISSION_DENIED, 'permission denied: member is revoked');
    expect(readFileSync(join(fed.provisioned.coordinatorDir, COORDINATOR_FILES.manifest), 'utf8')).toContain(
      'revokedAt',
    );
    // Still serving: b's round-1 update is taken, and the pushed manifest reaches the sites.
    expect((await uploadOnce(b, 1)).siteId).toBe('site-b');
    await b.waitForTask('manifest', (m) =>
      Buffer.from(m.signedManifestJson).toString().includes('revokedAt'),
    );
    await expectStillServing();
  });

  it('refuses an update signed by site-a but sent over site-b’s TLS connection', async () => {
    await round1Open();
    const aRound1 = encryptedUpdate(a.keys, ciphers.get('site-a')!, { jobId, round: 1 });

    const upload = await refusal(b.client.upload(aRound1.header, aRound1.parts));

    expectRefused(
      upload,
      status.PERMISSION_DENIED,
      'permission denied: the TLS client certificate and the signing key belong to different members',
    );
    await expectStillServing();
  });

  // Kept last: a wrongly accepted hello replaces a scripted site's task stream.
  it('answers every refused Subscribe with a status instead of leaving the stream hanging', async () => {
    await siteDRevoked();
    const { client: dClient, identity: d } = await clientFor('site-d');
    const stranger = generateSigningKeyPair();
    const bHello = b.hello();
    const hellos = {
      'unknown key': subscribeOutcome(a.client, a.hello(stranger.secretKey), 2_000),
      'bad signature': subscribeOutcome(
        b.client,
        { ...bHello, signature: flipBit(bHello.signature, 0) },
        2_000,
      ),
      'researcher key': subscribeOutcome(
        (await clientFor('researcher')).client,
        a.hello(researcher.signingKey.secretKey, 'researcher'),
        2_000,
      ),
      'revoked site': subscribeOutcome(dClient, new ScriptedSite(d, fed.address).hello(), 2_000),
      'site-a over site-b’s TLS': subscribeOutcome(b.client, a.hello(), 2_000),
    };

    const outcomes: Record<string, string> = {};
    for (const [name, outcome] of Object.entries(hellos)) {
      outcomes[name] = await outcome.then(
        (o) => (o.error ? `${status[o.error.code]}: ${o.error.details}` : `stream opened (${o.task?.$case})`),
        (error: Error) => error.message,
      );
    }

    const crossed =
      'PERMISSION_DENIED: permission denied: the TLS client certificate and the signing key belong to different members';
    expect(outcomes).toEqual({
      'unknown key': 'UNAUTHENTICATED: unauthenticated',
      'bad signature': 'UNAUTHENTICATED: unauthenticated',
      'researcher key':
        'PERMISSION_DENIED: permission denied: this request needs the site role, the signer is a researcher',
      'revoked site': expect.stringMatching(
        /^(UNAUTHENTICATED: unauthenticated|PERMISSION_DENIED: permission denied: member is revoked)$/,
      ),
      'site-a over site-b’s TLS': crossed,
    });
  });
});
