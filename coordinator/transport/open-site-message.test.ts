import { describe, expect, it } from 'vitest';
import { generateBoxKeyPair, generateSigningKeyPair } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { JobDecision, KeyBundle } from '../../proto/gen/hefl/v1/messages.js';
import { StaticMemberDirectory } from '../members/member-directory.js';
import { MemoryAuditSink } from '../storage/audit-sink.js';
import { openSiteMessage } from './open-site-message.js';
import { RequestGuard } from './request-guard.js';

const siteA = generateSigningKeyPair();
const guard = new RequestGuard(
  new StaticMemberDirectory(
    [
      {
        id: 'site-a',
        role: 'site',
        signingPublicKey: siteA.publicKey,
        sealingPublicKey: generateBoxKeyPair().publicKey,
        revoked: false,
      },
    ],
    { withoutPeerCertificates: true },
  ),
  new MemoryAuditSink(),
);

const decisionFrom = (siteId: string) =>
  signMessage(
    SigningContext.jobDecision,
    JobDecision,
    { jobId: 'job-1', siteId, accept: true },
    siteA.secretKey,
  );
const bundleFrom = (dealerSiteId: string) =>
  signMessage(
    SigningContext.keyBundle,
    KeyBundle,
    { jobId: 'job-1', dealerSiteId, sealed: [] },
    siteA.secretKey,
  );

function thrown(run: () => unknown): HeflError {
  try {
    run();
  } catch (error) {
    if (error instanceof HeflError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('openSiteMessage', () => {
  it('opens a message naming its own signer', () => {
    const { message, member } = openSiteMessage(
      guard,
      SigningContext.jobDecision,
      JobDecision,
      decisionFrom('site-a'),
      undefined,
      (m) => m.siteId,
      'decision',
    );
    expect({ site: message.siteId, accept: message.accept, member: member.id }).toEqual({
      site: 'site-a',
      accept: true,
      member: 'site-a',
    });
  });

  it('refuses a message a site signed in another site’s name, saying which id does not match', () => {
    const decision = thrown(() =>
      openSiteMessage(
        guard,
        SigningContext.jobDecision,
        JobDecision,
        decisionFrom('site-b'),
        undefined,
        (m) => m.siteId,
        'decision',
      ),
    );
    const bundle = thrown(() =>
      openSiteMessage(
        guard,
        SigningContext.keyBundle,
        KeyBundle,
        bundleFrom('site-b'),
        undefined,
        (m) => m.dealerSiteId,
        'bundle',
        'dealer',
      ),
    );

    expect([decision, bundle].map((e) => [e.code, e.message, e.publicDetail])).toEqual([
      ['permission_denied', 'decision names another site', 'site id does not match the signing key'],
      ['permission_denied', 'bundle names another dealer', 'dealer id does not match the signing key'],
    ]);
  });

  it('checks the signature before it compares names: an altered message is refused as unsigned', () => {
    const altered = decisionFrom('site-a');
    altered.payload = Buffer.from(altered.payload);
    altered.payload[altered.payload.length - 1]! ^= 1;

    const error = thrown(() =>
      openSiteMessage(
        guard,
        SigningContext.jobDecision,
        JobDecision,
        altered,
        undefined,
        (m) => m.siteId,
        'decision',
      ),
    );

    expect([error.code, error.message]).toEqual([
      'unauthenticated',
      expect.stringContaining('bad signature'),
    ]);
  });
});
