import { type ServiceError, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { dealKeys } from '../client-node/key-ceremony.js';
import { channelCredentials } from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { signMessage } from '../common/protocol/signed-message.js';
import { SigningContext } from '../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../proto/gen/hefl/v1/envelope.js';
import { SiteHello, UpdateHeader } from '../proto/gen/hefl/v1/messages.js';
import { researcherRpc, signedSubmission, submitJob } from './support/researcher-requests.js';
import { encryptedUpdate, refusal, ScriptedSite, subscribeOutcome } from './support/scripted-site.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

/*
 * Issue 12, item 5: the timestamp and nonce inside every signed request are checked
 * explicitly — a timestamp must be a whole number of milliseconds within the freshness
 * window (NaN, infinities and fractions are malformed, not "fresh"), a nonce 16 to 64
 * bytes (a short one is malformed, not "already used") — and a signed site hello is taken
 * once. Real mutual TLS on 127.0.0.1, the production coordinator.
 */

const JOB = parseJobSpec({
  name: 'message-freshness',
  model: { kind: 'logreg' },
  rounds: 1,
  minSites: 2,
  maxSites: 2,
  data: { label: 'event' },
  recruitSeconds: 60,
  roundDeadlineSeconds: 60,
});

const outcomeOf = (o: { task?: { $case: string }; error?: ServiceError }) =>
  o.error ? `${status[o.error.code]}: ${o.error.details}` : `stream opened (${o.task?.$case})`;

const refusedAs = (error: ServiceError) => `${status[error.code]}: ${error.details}`;

function hello(site: ScriptedSite, fields: Partial<SiteHello>): SignedEnvelope {
  return signMessage(
    SigningContext.siteHello,
    SiteHello,
    { ...SiteHello.decode(site.hello().payload), ...fields },
    site.keys.signingSecretKey,
  );
}

const WINDOW = /freshness window \(±300 s of the coordinator clock\)$/;

describe('timestamps and nonces of signed requests', () => {
  let fed: TlsFederation | undefined;
  const closers: { close(): void }[] = [];

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await fed?.stop();
    fed = undefined;
  });

  it('takes a signed site hello once, and refuses malformed timestamps and nonces naming the field', async () => {
    fed = await startTlsFederation(['site-a']);
    const a = new ScriptedSite(await fed.member('site-a'), fed.address);
    closers.push(a);
    const once = a.hello();
    const now = Date.now();

    const first = outcomeOf(await subscribeOutcome(a.client, once));
    const outcomes: Record<string, string> = {};
    const attempts: Record<string, SignedEnvelope> = {
      'the same hello again': once,
      'NaN timestamp': hello(a, { sentAtMs: Number.NaN }),
      'infinite timestamp': hello(a, { sentAtMs: Number.POSITIVE_INFINITY }),
      'fractional timestamp': hello(a, { sentAtMs: now + 0.5 }),
      'timestamp 10 minutes old': hello(a, { sentAtMs: now - 600_000 }),
      '4-byte nonce': hello(a, { nonce: Buffer.alloc(4, 1) }),
      '65-byte nonce': hello(a, { nonce: Buffer.alloc(65, 1) }),
    };
    for (const [name, envelope] of Object.entries(attempts)) {
      outcomes[name] = outcomeOf(await subscribeOutcome(a.client, envelope, 3_000));
    }

    expect(first).toBe('stream opened (manifest)');
    expect(outcomes).toEqual({
      'the same hello again': 'ALREADY_EXISTS: message replayed: nonce already used',
      'NaN timestamp':
        'INVALID_ARGUMENT: invalid argument: hello sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'infinite timestamp':
        'INVALID_ARGUMENT: invalid argument: hello sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'fractional timestamp':
        'INVALID_ARGUMENT: invalid argument: hello sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'timestamp 10 minutes old': expect.stringMatching(
        /^ALREADY_EXISTS: message replayed: hello timestamp is outside the freshness window/,
      ),
      '4-byte nonce': 'INVALID_ARGUMENT: invalid argument: hello nonce must be 16 to 64 bytes, got 4',
      '65-byte nonce': 'INVALID_ARGUMENT: invalid argument: hello nonce must be 16 to 64 bytes, got 65',
    });
    expect(outcomes['timestamp 10 minutes old']).toMatch(WINDOW);
    // Still serving: a fresh hello from the same site opens its stream.
    expect(outcomeOf(await subscribeOutcome(a.client, a.hello()))).toBe('stream opened (manifest)');
  });

  it('refuses a job submission whose timestamp is NaN or whose nonce is short; no job is created', async () => {
    fed = await startTlsFederation(['site-a']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const keys = {
      signingSecretKey: researcher.signingKey.secretKey,
      sealingPublicKey: researcher.sealingKey.publicKey,
    };

    const nan = await refusal(submitJob(client, signedSubmission(JOB, keys, { sentAtMs: Number.NaN })));
    const short = await refusal(
      submitJob(client, signedSubmission(JOB, keys, { nonce: Buffer.alloc(4, 1) })),
    );

    expect([refusedAs(nan), refusedAs(short)]).toEqual([
      'INVALID_ARGUMENT: invalid argument: job submission sent_at_ms must be a whole number of milliseconds since the Unix epoch',
      'INVALID_ARGUMENT: invalid argument: job submission nonce must be 16 to 64 bytes, got 4',
    ]);
    expect(fed.coordinator.jobs.all()).toHaveLength(0);
  });

  it('refuses an update header with a 4-byte nonce or a NaN timestamp as malformed, not as replayed or fresh', async () => {
    fed = await startTlsFederation(['site-a', 'site-b']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    const a = new ScriptedSite(await fed.member('site-a'), fed.address);
    const b = new ScriptedSite(await fed.member('site-b'), fed.address);
    closers.push(client, a, b);
    await Promise.all([a.connect(), b.connect()]);
    const { jobId } = await submitJob(
      client,
      signedSubmission(JOB, {
        signingSecretKey: researcher.signingKey.secretKey,
        sealingPublicKey: researcher.sealingKey.publicKey,
      }),
    );
    for (const s of [a, b]) {
      await s.waitForTask('jobOffer', (o) => o.jobId === jobId);
      await s.client.decide(s.decision(jobId, JOB.hash));
    }
    const ceremony = await a.waitForTask('keyCeremony', (k) => k.jobId === jobId);
    const job = {
      jobId,
      profileId: JOB.spec.he.profile,
      quantizer: { clipRange: JOB.spec.he.clipRange, maxSites: JOB.spec.maxSites },
    };
    const dealt = await dealKeys(
      a.keys,
      job,
      ceremony.sites.map((s) => ({ siteId: s.siteId, sealingPublicKey: new Uint8Array(s.sealingPublicKey) })),
    );
    closers.push({ close: () => dealt.cipher.delete() });
    await a.client.postKeyBundle(dealt.bundle);
    await a.waitForTask('roundOpen', (r) => r.jobId === jobId && r.round === 0);
    const update = encryptedUpdate(a.keys, dealt.cipher, { jobId, round: 0 });
    const resigned = (fields: Partial<UpdateHeader>) =>
      signMessage(
        SigningContext.updateHeader,
        UpdateHeader,
        { ...UpdateHeader.decode(update.header.payload), ...fields },
        a.keys.signingSecretKey,
      );

    const short = await refusal(a.client.upload(resigned({ nonce: Buffer.alloc(4, 1) }), update.parts));
    const nan = await refusal(a.client.upload(resigned({ sentAtMs: Number.NaN }), update.parts));

    expect([refusedAs(short), refusedAs(nan)]).toEqual([
      'INVALID_ARGUMENT: invalid argument: update nonce must be 16 to 64 bytes, got 4',
      'INVALID_ARGUMENT: invalid argument: update sent_at_ms must be a whole number of milliseconds since the Unix epoch',
    ]);
    expect(fed.coordinator.jobs.get(jobId).rounds[0]?.uploads.size).toBe(0);
    // Still serving: the same update with its own valid nonce and timestamp is taken.
    await a.client.upload(update.header, update.parts);
    expect(fed.coordinator.jobs.get(jobId).rounds[0]?.uploads.has('site-a')).toBe(true);
  });
});
