import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { fromHex } from '../../common/crypto/index.js';
import { verifySignedManifest } from '../../common/identity/index.js';
import type { FederationManifest } from '../../common/identity/manifest-schema.js';
import { type Member, type MemberDirectory, StaticMemberDirectory } from './member-directory.js';

/**
 * The federation manifest as the coordinator consults it. The file is re-read (and its
 * signature re-checked) when it changes, so `hefl federation revoke` takes effect on
 * the running coordinator without a restart; a manifest that fails verification is
 * ignored and the last good one stays in force (and the failure is reported).
 */
export class ManifestMemberDirectory implements MemberDirectory {
  readonly requiresPeerCertificate = true;
  private current: StaticMemberDirectory;
  private currentJson: Uint8Array = new Uint8Array();
  private currentMembers: Member[] = [];
  private lastMtime = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly path: string,
    private readonly coordinatorKey: Uint8Array,
    private readonly onReloadError: (message: string) => void,
  ) {
    this.current = this.load();
    watchFile(path, { interval: 500, persistent: false }, () => this.reload());
  }

  bySigningKey(publicKey: Uint8Array): Member | undefined {
    return this.current.bySigningKey(publicKey);
  }

  byId(id: string): Member | undefined {
    return this.current.byId(id);
  }

  byTlsFingerprint(fingerprint: string): Member | undefined {
    return this.current.byTlsFingerprint(fingerprint);
  }

  signedManifestJson(): Uint8Array {
    return this.currentJson;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    unwatchFile(this.path);
  }

  private reload(): void {
    try {
      const mtime = statSync(this.path).mtimeMs;
      if (mtime === this.lastMtime) return;
      this.current = this.load();
      for (const listener of this.listeners) listener();
    } catch (error) {
      this.onReloadError(error instanceof Error ? error.message : String(error));
    }
  }

  /** The current members (revoked ones included, flagged). */
  members(): Member[] {
    return this.currentMembers;
  }

  private load(): StaticMemberDirectory {
    this.lastMtime = statSync(this.path).mtimeMs;
    const text = readFileSync(this.path, 'utf8');
    const manifest = verifySignedManifest(JSON.parse(text), this.coordinatorKey);
    this.currentJson = new TextEncoder().encode(text);
    this.currentMembers = membersOf(manifest);
    return new StaticMemberDirectory(this.currentMembers);
  }
}

export function membersOf(manifest: FederationManifest): Member[] {
  return manifest.members.map((m) => ({
    id: m.id,
    role: m.role,
    signingPublicKey: fromHex(m.signingPublicKey),
    sealingPublicKey: fromHex(m.sealingPublicKey),
    revoked: m.revokedAt !== undefined,
    tlsFingerprint: m.tlsCertificateFingerprint.toLowerCase(),
    admittedAt: m.admittedAt,
  }));
}
