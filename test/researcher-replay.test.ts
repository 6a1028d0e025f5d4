import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServiceError, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { channelCredentials, type MemberIdentity } from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import {
  cancelJob,
  researcherRpc,
  signedCancellation,
  signedSubmission,
  submitJob,
} from './support/researcher-requests.js';
import { refusal, ScriptedSite } from './support/scripted-site.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

/*
 * Issue 12, item 3: a researcher's signed request is bound to the researcher's own TLS
 * connection and taken once. A site receives the researcher's signed submission inside
 * every job offer; sending it on over its own certificate must not create a job in the
 * researcher's name. Real mutual TLS on 127.0.0.1, the production coordinator.
 */

const JOB = parseJobSpec({
  name: 'researcher-replay',
  model: { kind: 'logreg' },
  rounds: 1,
  minSites: 2,
  maxSites: 2,
  data: { label: 'event' },
  recruitSeconds: 60,
  roundDeadlineSeconds: 60,
});

const CROSSED =
  'permission denied: the TLS client certificate and the signing key belong to different members';

function expectRefused(error: ServiceError, code: status, details: string | RegExp): void {
  expect({ code: status[error.code], details: error.details }).toEqual({
    code: status[code],
    details: typeof details === 'string' ? details : expect.stringMatching(details),
  });
}

const keysOf = (m: MemberIdentity) => ({
  signingSecretKey: m.signingKey.secretKey,
  sealingPublicKey: m.sealingKey.publicKey,
});

describe('researcher requests are bound to the researcher’s TLS connection and taken once', () => {
  let fed: TlsFederation | undefined;
  const closers: { close(): void }[] = [];

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await fed?.stop();
    fed = undefined;
  });

  it('refuses the researcher’s submission taken from a job offer and sent by a site over its own certificate', async () => {
    fed = await startTlsFederation(['site-a', 'site-b']);
    const researcher = await fed.member('researcher');
    const asResearcher = researcherRpc(fed.address, channelCredentials(researcher.tls));
    const siteA = new ScriptedSite(await fed.member('site-a'), fed.address);
    const asSiteA = researcherRpc(fed.address, channelCredentials((await fed.member('site-a')).tls));
    closers.push(asResearcher, siteA, asSiteA);
    await siteA.connect();
    const { jobId } = await submitJob(asResearcher, signedSubmission(JOB, keysOf(researcher)));
    const offer = await siteA.waitForTask('jobOffer', (o) => o.jobId === jobId);

    // The site replays the researcher's signed submission (well within its freshness window).
    const replayed = await refusal(submitJob(asSiteA, offer.submission!));

    expectRefused(replayed, status.PERMISSION_DENIED, CROSSED);
    expect(fed.coordinator.jobs.all().map((j) => j.id)).toEqual([jobId]);
    const refusals = readFileSync(join(fed.provisioned.coordinatorDir, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"request.refused"') && line.includes('TLS peer site-a'));
    expect(refusals).toHaveLength(1);
  });

  it('refuses a submission or cancellation sent a second time by the researcher itself', async () => {
    fed = await startTlsFederation(['site-a']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    closers.push(client);
    const submission = signedSubmission(JOB, keysOf(researcher));
    const { jobId } = await submitJob(client, submission);

    const again = await refusal(submitJob(client, submission));
    const cancellation = signedCancellation(jobId, researcher.signingKey.secretKey);
    await cancelJob(client, cancellation);
    const cancelledAgain = await refusal(cancelJob(client, cancellation));

    expectRefused(again, status.ALREADY_EXISTS, 'message replayed: nonce already used');
    expectRefused(cancelledAgain, status.ALREADY_EXISTS, 'message replayed: nonce already used');
    expect(fed.coordinator.jobs.all()).toHaveLength(1);
    expect(fed.coordinator.jobs.get(jobId).state).toBe('cancelled');
  });

  it('refuses a researcher’s cancellation sent over a site’s certificate, and one without a timestamp', async () => {
    fed = await startTlsFederation(['site-a']);
    const researcher = await fed.member('researcher');
    const client = researcherRpc(fed.address, channelCredentials(researcher.tls));
    const asSiteA = researcherRpc(fed.address, channelCredentials((await fed.member('site-a')).tls));
    closers.push(client, asSiteA);
    const { jobId } = await submitJob(client, signedSubmission(JOB, keysOf(researcher)));

    const crossed = await refusal(
      cancelJob(asSiteA, signedCancellation(jobId, researcher.signingKey.secretKey)),
    );
    const undated = await refusal(
      cancelJob(client, signedCancellation(jobId, researcher.signingKey.secretKey, { sentAtMs: 0 })),
    );

    expectRefused(crossed, status.PERMISSION_DENIED, CROSSED);
    expectRefused(
      undated,
      status.ALREADY_EXISTS,
      /^message replayed: job cancellation timestamp .* outside the/,
    );
    expect(fed.coordinator.jobs.get(jobId).state).toBe('recruiting');
    // Still serving: the researcher's own, fresh cancellation is taken.
    await cancelJob(client, signedCancellation(jobId, researcher.signingKey.secretKey));
    expect(fed.coordinator.jobs.get(jobId).state).toBe('cancelled');
  });
});
