import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { CoordinatorClient } from '../client-node/coordinator-client.js';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { noSiteAudit } from '../client-node/site-audit.js';
import { SiteNode } from '../client-node/site-node.js';
import { InProcessTrainer } from '../client-node/training/index.js';
import { openSealed } from '../common/crypto/index.js';
import { HeContext } from '../common/he/he-context.js';
import { getProfile } from '../common/he/he-profile.js';
import { COORDINATOR_FILES, certificateFingerprint, channelCredentials } from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { systemClock } from '../common/time/clock.js';
import { KeyBundle } from '../proto/gen/hefl/v1/messages.js';
import { waitForJob } from './support/local-federation.js';
import { ScriptedSite, siteKeysOf } from './support/scripted-site.js';
import { slowTrainer } from './support/slow-trainer.mjs';
import { startTlsFederation, type TlsFederation, waitUntil } from './support/tls-federation.js';
import { type TlsEnd, TlsRecordingProxy } from './support/tls-recording-proxy.js';

/*
 * Issue 4: "the coordinator receives only the parameters it needs to add ciphertexts; it
 * never holds a secret key". A complete job runs through the production coordinator over
 * mutual TLS; then everything the coordinator persisted (its whole folder) and everything
 * it received or sent (the decrypted gRPC streams, recorded by a TLS-terminating proxy
 * holding the coordinator's own certificate) is searched for the job's HE secret key —
 * raw, hex and base64; whole and in 32-byte windows; SEAL-zstd and uncompressed. A fourth
 * site comes online mid-job, so a key holder's grant (the key sealed to the newcomer)
 * passes through the coordinator as well as the dealer's bundle.
 */

const SITES = ['site-a', 'site-b', 'site-c', 'site-d'];
const LATE_SITE = 'site-d';
const JOB = parseJobSpec({
  name: 'key-search',
  model: { kind: 'logreg' },
  rounds: 3,
  minSites: 3,
  data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
  local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
  recruitSeconds: 15,
  roundDeadlineSeconds: 30,
});
const WINDOW = 32;

interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

/** The key (or a window of it) as it could appear anywhere: raw, hex, or base64 at any alignment. */
function needlesOf(name: string, bytes: Uint8Array): Needle[] {
  const raw = Buffer.from(bytes);
  const out: Needle[] = [
    { name: `${name} (raw)`, bytes: raw },
    { name: `${name} (hex)`, bytes: Buffer.from(raw.toString('hex')) },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const aligned = raw.subarray(shift, shift + Math.floor((raw.length - shift) / 3) * 3);
    out.push({ name: `${name} (base64, +${shift})`, bytes: Buffer.from(aligned.toString('base64')) });
  }
  return out;
}

/** `count` evenly spaced 32-byte windows of `bytes`, skipping a `skip`-byte serialization header. */
function windowsOf(name: string, bytes: Uint8Array, skip: number, count: number): Needle[] {
  const step = Math.floor((bytes.length - skip - WINDOW) / (count - 1));
  return Array.from({ length: count }, (_, i) => skip + i * step).flatMap((at) =>
    needlesOf(`${name}[${at}..${at + WINDOW}]`, bytes.subarray(at, at + WINDOW)),
  );
}

function findNeedles(
  haystacks: readonly { name: string; bytes: Buffer }[],
  needles: readonly Needle[],
): string[] {
  const hits: string[] = [];
  for (const hay of haystacks)
    for (const needle of needles)
      if (hay.bytes.includes(needle.bytes)) hits.push(`${needle.name} in ${hay.name}`);
  return hits;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The job's HE secret key serialised without compression (what SEAL holds in memory). */
async function uncompressedSecretKey(profileId: string, zstdKey: Uint8Array): Promise<Uint8Array> {
  const he = await HeContext.create(getProfile(profileId));
  const key = he.seal.SecretKey();
  try {
    key.loadArray(he.context, zstdKey);
    return key.saveArray(he.seal.ComprModeType.none);
  } finally {
    key.delete();
    he.delete();
  }
}

describe('the coordinator never holds the job’s HE secret key (real TLS, complete job)', () => {
  let fed: TlsFederation;
  let proxy: TlsRecordingProxy;
  let trainer: InProcessTrainer;
  let researcher: ResearcherClient;
  const nodes: SiteNode[] = [];
  const clients: CoordinatorClient[] = [];
  const siteLogs: string[] = [];

  beforeAll(async () => {
    fed = await startTlsFederation(SITES);
    const coordinatorDir = fed.provisioned.coordinatorDir;
    const members = await Promise.all([...SITES, 'researcher'].map((id) => fed.member(id)));
    const ends = new Map<string, TlsEnd>(members.map((m) => [certificateFingerprint(m.tls.certPem), m.tls]));
    proxy = new TlsRecordingProxy({
      caPem: members[0]!.tls.caPem,
      server: {
        keyPem: readFileSync(join(coordinatorDir, COORDINATOR_FILES.tlsKey), 'utf8'),
        certPem: readFileSync(join(coordinatorDir, COORDINATOR_FILES.tlsCertificate), 'utf8'),
      },
      upstream: { host: '127.0.0.1', port: fed.coordinator.port },
      clientFor: (fingerprint) => ends.get(fingerprint),
    });
    const address = await proxy.start();
    trainer = await InProcessTrainer.create();
    const data = generateSyntheticHospitals({ sites: SITES.length, seed: 11 });
    for (const [i, identity] of members.slice(0, SITES.length).entries()) {
      const path = join(fed.root, `${identity.id}.csv`);
      writeFileSync(path, data[i]!.csv);
      const client = new CoordinatorClient(address, channelCredentials(identity.tls));
      clients.push(client);
      const node = new SiteNode({
        keys: siteKeysOf(identity),
        federation: new ScriptedSite(identity, address).federation,
        client,
        // slower rounds, so the job is still running when the late site arrives
        trainer: slowTrainer(trainer, 400),
        clock: systemClock,
        data: { path },
        audit: noSiteAudit,
        log: (event, fields) => siteLogs.push(JSON.stringify({ site: identity.id, event, ...fields })),
      });
      nodes.push(node);
      if (identity.id !== LATE_SITE) node.start();
    }
    const r = members[SITES.length]!;
    researcher = new ResearcherClient(address, channelCredentials(r.tls), {
      signingSecretKey: r.signingKey.secretKey,
      sealingPublicKey: r.sealingKey.publicKey,
      sealingSecretKey: r.sealingKey.secretKey,
    });
    await waitUntil(
      () =>
        fed.logs.filter((l) => l.event === 'site.connected').length >= SITES.length - 1 ? true : undefined,
      10_000,
      'the three first sites connected',
    );
  });

  afterAll(async () => {
    for (const node of nodes) node.stop();
    for (const client of clients) client.close();
    researcher?.close();
    await proxy?.stop();
    await trainer?.close();
    await fed?.stop();
  });

  it('finds no trace of the key in its folder, its logs, or the streams it received and sent', async () => {
    const { jobId } = await researcher.submit(JOB);
    await waitUntil(
      () => (fed.coordinator.jobs.get(jobId).currentRound?.round === 1 ? true : undefined),
      30_000,
      'round 1 open',
    );
    // What the coordinator holds on disk mid-job (ciphertext blobs are deleted once no
    // longer needed, so the folder is searched now as well as at the end).
    const midJob = walk(fed.provisioned.coordinatorDir).map((path) => ({
      name: `mid-job ${relative(fed.provisioned.coordinatorDir, path)}`,
      bytes: readFileSync(path),
    }));
    nodes[SITES.indexOf(LATE_SITE)]!.start();
    const status = await waitForJob(researcher, jobId, 60_000);
    if (status.state !== 'completed') console.error(siteLogs.filter((l) => /failed|declined/.test(l)));
    expect({ state: status.state, reason: status.reason }).toEqual({ state: 'completed', reason: '' });
    // The late site got the key from a key holder, through the coordinator, and took part.
    const auditText = readFileSync(join(fed.provisioned.coordinatorDir, 'audit.jsonl'), 'utf8');
    expect(auditText).toMatch(/"key\.granted".*"to":"site-d"/);
    expect(status.roundStatus.some((r) => r.participants.includes(LATE_SITE))).toBe(true);
    // The key, as the dealer serialised it: open site-b's sealed copy of the relayed bundle.
    const bundleEnvelope = fed.coordinator.jobs.get(jobId).keyBundle!;
    const bundle = KeyBundle.decode(bundleEnvelope.payload);
    const siteB = siteKeysOf(await fed.member('site-b'));
    const sealedForB = bundle.sealed.find((s) => s.siteId === 'site-b')!;
    const zstdKey = openSealed(sealedForB, bundle.dealerSealingPublicKey, siteB.sealingSecretKey);
    const rawKey = await uncompressedSecretKey(JOB.spec.he.profile, zstdKey);
    const needles = [
      ...needlesOf('zstd key', zstdKey),
      ...needlesOf('uncompressed key', rawKey),
      ...windowsOf('zstd key', zstdKey, 16, 8),
      ...windowsOf('uncompressed key', rawKey, 64, 16),
    ];
    const files = walk(fed.provisioned.coordinatorDir).map((path) => ({
      name: relative(fed.provisioned.coordinatorDir, path),
      bytes: readFileSync(path),
    }));
    const haystacks = [
      ...midJob,
      ...files,
      { name: 'coordinator log', bytes: Buffer.from(fed.logs.map((l) => JSON.stringify(l)).join('\n')) },
      { name: 'bytes received by the coordinator', bytes: proxy.received() },
      { name: 'bytes sent by the coordinator', bytes: proxy.sent() },
    ];

    const hits = findNeedles(haystacks, needles);

    expect(hits).toEqual([]);
    // The search could have found it: the key is 16 KiB of high-entropy SEAL data...
    expect(rawKey.length).toBeGreaterThan(16_000);
    expect(new Set(windowsOf('w', rawKey, 64, 16).map((n) => n.bytes.toString('hex'))).size).toBe(16 * 5);
    // ...the folder holds the audit log, the manifest and the state, and mid-job it held
    // ciphertext blobs (updates, aggregates)...
    const names = files.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['audit.jsonl', COORDINATOR_FILES.manifest, 'state.sqlite']),
    );
    expect(midJob.filter((f) => f.name.startsWith('mid-job blobs/')).length).toBeGreaterThanOrEqual(1);
    // ...the recording holds the decrypted application bytes (most windows of the relayed bundle)...
    const bundleWindows = windowsOf('bundle', bundleEnvelope.payload, 0, 64).filter((n) =>
      n.name.endsWith('(raw)'),
    );
    const seen = (bytes: Buffer) => bundleWindows.filter((n) => bytes.includes(n.bytes)).length;
    expect(seen(proxy.received())).toBeGreaterThanOrEqual(58);
    expect(seen(proxy.sent())).toBeGreaterThanOrEqual(58);
    // ...and the same search does find the key where it is planted.
    const planted = {
      name: 'planted',
      bytes: Buffer.concat([proxy.received(), Buffer.from(rawKey.subarray(60, 100))]),
    };
    expect(findNeedles([planted], needles).length).toBeGreaterThan(0);
  }, 90_000);
});
