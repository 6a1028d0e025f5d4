/**
 * A site's own keys, generated on the site's machine and never sent anywhere:
 * Ed25519 signs everything the site says; X25519 receives the job's HE secret key
 * sealed by the dealer. (The HE key itself lives only in the job's cipher, in memory.)
 */
export interface SiteKeys {
  readonly siteId: string;
  readonly signingPublicKey: Uint8Array;
  readonly signingSecretKey: Uint8Array;
  readonly sealingPublicKey: Uint8Array;
  readonly sealingSecretKey: Uint8Array;
}

/** What a site knows of the federation: public keys from the signed manifest. */
export interface FederationView {
  readonly coordinatorSigningKey: Uint8Array;
  memberBySigningKey(
    publicKey: Uint8Array,
  ): { id: string; role: 'site' | 'researcher' | 'auditor' } | undefined;
  /** A current (not revoked) site's X25519 key from the signed manifest; undefined for anyone else. */
  siteSealingKey(siteId: string): Uint8Array | undefined;
  /** Applies a newer signed manifest from the coordinator; false if it is older. Throws if badly signed. */
  update?(signedManifestJson: Uint8Array): boolean;
}
