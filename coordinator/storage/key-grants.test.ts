import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../common/crypto/index.js';
import { signMessage } from '../../common/protocol/signed-message.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import { JobDecision, KeyBundle } from '../../proto/gen/hefl/v1/messages.js';
import { KeyGrants } from './key-grants.js';

const dealer = generateSigningKeyPair();

function bundle(sealedFor: string[]) {
  return signMessage(
    SigningContext.keyBundle,
    KeyBundle,
    {
      jobId: 'job-1',
      dealerSiteId: 'site-a',
      sealed: sealedFor.map((siteId) => ({ siteId, nonce: Buffer.alloc(24), ciphertext: Buffer.alloc(48) })),
    },
    dealer.secretKey,
  );
}

const decision = (siteId: string) =>
  signMessage(
    SigningContext.jobDecision,
    JobDecision,
    { jobId: 'job-1', siteId, accept: true },
    dealer.secretKey,
  );

describe('KeyGrants', () => {
  it('serves the dealer’s bundle to the sites it was sealed to, and nothing to anyone else', () => {
    const grants = new KeyGrants();
    const dealt = bundle(['site-a', 'site-b']);
    grants.setDealerBundle(dealt);
    expect(grants.bundleFor('site-b')).toBe(dealt);
    expect(grants.bundleFor('site-c')).toBeUndefined();
  });

  it('keeps a late site waiting until a holder grants it, then serves the grant', () => {
    const grants = new KeyGrants();
    grants.setDealerBundle(bundle(['site-a', 'site-b']));
    grants.request('site-c', decision('site-c'));
    expect(grants.pending().map((g) => g.siteId)).toEqual(['site-c']);
    expect(grants.bundleFor('site-c')).toBeUndefined();
    const sealed = bundle(['site-c']);
    const granted = grants.grant('site-c', sealed, 'site-b');
    expect(granted).toMatchObject({ siteId: 'site-c', grantedBy: 'site-b' });
    expect(grants.bundleFor('site-c')).toBe(sealed);
    expect(grants.pending()).toEqual([]);
    // a repeated request from a site that already has its grant changes nothing
    expect(grants.request('site-c', decision('site-c')).bundle).toBe(sealed);
  });

  it('refuses a grant nobody asked for, or a second grant for the same site', () => {
    const grants = new KeyGrants();
    expect(() => grants.grant('site-x', bundle(['site-x']), 'site-a')).toThrow(/no pending key request/);
    grants.request('site-c', decision('site-c'));
    grants.grant('site-c', bundle(['site-c']), 'site-a');
    expect(() => grants.grant('site-c', bundle(['site-c']), 'site-b')).toThrow(/no pending key request/);
  });

  it('restores requests and grants after a restart', () => {
    const before = new KeyGrants();
    before.request('site-c', decision('site-c'));
    before.request('site-d', decision('site-d'));
    const granted = before.grant('site-d', bundle(['site-d']), 'site-a');
    const after = new KeyGrants();
    after.load([...before.pending(), granted]);
    expect(after.pending().map((g) => g.siteId)).toEqual(['site-c']);
    expect(after.bundleFor('site-d')).toBe(granted.bundle);
  });
});
