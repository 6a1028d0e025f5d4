import { HeflError } from '../../common/errors/index.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { KeyBundle } from '../../proto/gen/hefl/v1/messages.js';

/** A site's request to join a running job (its signed acceptance) and, once granted, the key sealed to it. */
export interface KeyGrant {
  readonly siteId: string;
  readonly decision: SignedEnvelope;
  readonly bundle: SignedEnvelope | undefined;
  readonly grantedBy: string | undefined;
}

/**
 * Which sites can open a running job's HE key, as relayed sealed bundles: the sites the
 * dealer sealed it to, and sites a key holder sealed it to later (a site that joined the
 * running job, or whose copy no longer opens). The coordinator keeps and relays these
 * bundles; it cannot open any of them.
 */
export class KeyGrants {
  private dealerBundleEnvelope: SignedEnvelope | undefined;
  private dealtTo = new Set<string>();
  private readonly grants = new Map<string, KeyGrant>();

  /** The dealer's bundle (sealed to the sites accepted at recruiting). */
  setDealerBundle(envelope: SignedEnvelope): void {
    this.dealerBundleEnvelope = envelope;
    this.dealtTo = new Set(KeyBundle.decode(envelope.payload).sealed.map((s) => s.siteId));
  }

  /** The dealer's bundle, once posted. */
  get dealerBundle(): SignedEnvelope | undefined {
    return this.dealerBundleEnvelope;
  }

  /** The bundle holding a copy sealed to `siteId`, if there is one yet. */
  bundleFor(siteId: string): SignedEnvelope | undefined {
    if (this.dealtTo.has(siteId)) return this.dealerBundleEnvelope;
    return this.grants.get(siteId)?.bundle;
  }

  /** Records that `siteId` asked for the key (a newer request replaces a pending one). */
  request(siteId: string, decision: SignedEnvelope): KeyGrant {
    const existing = this.grants.get(siteId);
    if (existing?.bundle) return existing;
    const grant: KeyGrant = { siteId, decision, bundle: undefined, grantedBy: undefined };
    this.grants.set(siteId, grant);
    return grant;
  }

  pending(): KeyGrant[] {
    return [...this.grants.values()].filter((g) => !g.bundle);
  }

  /** Stores the bundle a holder sealed to a pending site. */
  grant(siteId: string, bundle: SignedEnvelope, grantedBy: string): KeyGrant {
    const request = this.grants.get(siteId);
    if (!request || request.bundle) {
      throw new HeflError('invalid_argument', `no pending key request from ${siteId}`, {
        publicDetail: 'no site is waiting for that key',
      });
    }
    const granted: KeyGrant = { ...request, bundle, grantedBy };
    this.grants.set(siteId, granted);
    return granted;
  }

  /** Restores stored requests and grants after a restart. */
  load(grants: readonly KeyGrant[]): void {
    for (const g of grants) this.grants.set(g.siteId, g);
  }
}
