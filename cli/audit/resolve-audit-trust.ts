import { join } from 'node:path';
import type { AuditAnchor } from '../../common/audit/audit-verification.js';
import { fromHex, keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { MEMBER_FILES, readJsonFile, verifySignedManifest } from '../../common/identity/index.js';

/** What the auditor states on the command line (each optional; see `resolveAuditTrust`). */
export interface AuditTrustOptions {
  /** The coordinator's Ed25519 public key, 64 hex characters. */
  readonly coordinatorKey?: string;
  /** The coordinator's key id, 32 hex characters, as `hefl federation init` printed it. */
  readonly coordinatorKeyId?: string;
  readonly federationId?: string;
  /** An admitted member folder (an auditor's) whose pinned `coordinator.json` is the anchor. */
  readonly auditorDir?: string;
  readonly manifest?: string;
  /** No anchor: check the manifest against the key it names itself (see `UNANCHORED_WARNING`). */
  readonly unanchored?: boolean;
}

/** The keys verification trusts: the coordinator's, and the sites' when a manifest was given. */
export interface AuditTrust {
  readonly coordinator: Uint8Array;
  readonly sites?: Uint8Array[];
  /** Where the coordinator key came from, for the result and the report. */
  readonly anchor: AuditAnchor;
}

/** What an unanchored verification means, said with every such result. */
export const UNANCHORED_WARNING =
  "UNANCHORED: the manifest was checked only against the coordinator key it names itself, so this shows that log and manifest agree, not that they are the federation's: whoever replaced key, manifest and log together passes. State a trust anchor (--auditor-dir, --coordinator-key, or --federation-id with --coordinator-key-id) to rule that out";

const ANCHOR_HELP =
  'state a trust anchor: --coordinator-key HEX, or --federation-id ID with --coordinator-key-id HEX (as `hefl federation init` printed it), or --auditor-dir DIR (a folder with a pinned coordinator.json). Without one the log can only be checked against the key the manifest names itself (unanchored: anyone who replaced key, manifest and log together passes); to run that weaker check anyway, pass --unanchored with --manifest FILE';

interface Anchor {
  readonly kind: 'pinned' | 'key' | 'key-id';
  readonly key?: Uint8Array;
  readonly keyId: string;
  readonly federationId?: string;
  readonly source: string;
}

/**
 * Resolves the keys an audit is checked against from a trust anchor the auditor states,
 * never from the material under audit: a manifest is accepted only if it is signed by the
 * anchored coordinator key (via common/identity's `verifySignedManifest`) and names the
 * anchored federation. A manifest whose coordinator key was replaced and re-signed is
 * refused (`integrity`, exit 1). Usage problems are `invalid_argument` (exit 2).
 */
export async function resolveAuditTrust(opts: AuditTrustOptions): Promise<AuditTrust> {
  if (opts.unanchored) return unanchoredTrust(opts);
  const anchor = await readAnchor(opts);
  const stated: AuditAnchor = {
    kind: anchor.kind,
    source: anchor.source,
    ...(anchor.federationId !== undefined ? { federationId: anchor.federationId } : {}),
  };
  if (opts.manifest === undefined) {
    if (!anchor.key) {
      throw new HeflError(
        'invalid_argument',
        '--coordinator-key-id needs --manifest FILE (a key id alone cannot check signatures)',
      );
    }
    return { coordinator: anchor.key, anchor: stated };
  }
  const file = await readJsonFile(opts.manifest, 'federation manifest');
  const key = anchor.key ?? namedCoordinatorKey(file, opts.manifest, anchor);
  const manifest = verifySignedManifest(file, key);
  if (anchor.federationId !== undefined && manifest.federationId !== anchor.federationId) {
    throw new HeflError(
      'integrity',
      `${opts.manifest} is the manifest of federation "${manifest.federationId}", not "${anchor.federationId}" (${anchor.source})`,
    );
  }
  const sites = manifest.members.filter((m) => m.role === 'site').map((m) => fromHex(m.signingPublicKey));
  return {
    coordinator: key,
    sites,
    anchor: { ...stated, federationId: manifest.federationId, manifest: opts.manifest },
  };
}

/** `--unanchored`: the manifest vouches for itself; refused together with an anchor. */
async function unanchoredTrust(opts: AuditTrustOptions): Promise<AuditTrust> {
  if ([opts.coordinatorKey, opts.coordinatorKeyId, opts.auditorDir].some((v) => v !== undefined)) {
    throw new HeflError('invalid_argument', '--unanchored means no trust anchor: drop it or the anchor');
  }
  if (opts.manifest === undefined) {
    throw new HeflError(
      'invalid_argument',
      '--unanchored needs --manifest FILE (the coordinator key is read from it)',
    );
  }
  const file = await readJsonFile(opts.manifest, 'federation manifest');
  const named = (file as { manifest?: { coordinator?: { signingPublicKey?: unknown } } } | null)?.manifest
    ?.coordinator?.signingPublicKey;
  const key = publicKey(named, `${opts.manifest}: manifest.coordinator.signingPublicKey`);
  const manifest = verifySignedManifest(file, key);
  const sites = manifest.members.filter((m) => m.role === 'site').map((m) => fromHex(m.signingPublicKey));
  return {
    coordinator: key,
    sites,
    anchor: {
      kind: 'unanchored',
      source: opts.manifest,
      federationId: manifest.federationId,
      manifest: opts.manifest,
    },
  };
}

async function readAnchor(opts: AuditTrustOptions): Promise<Anchor> {
  const given = [opts.coordinatorKey, opts.coordinatorKeyId, opts.auditorDir].filter((v) => v !== undefined);
  if (given.length === 0) throw new HeflError('invalid_argument', ANCHOR_HELP);
  if (given.length > 1) {
    throw new HeflError(
      'invalid_argument',
      'give one trust anchor: --coordinator-key, --coordinator-key-id or --auditor-dir',
    );
  }
  if (opts.auditorDir !== undefined) {
    if (opts.federationId !== undefined) {
      throw new HeflError(
        'invalid_argument',
        '--auditor-dir pins the federation id already; drop --federation-id',
      );
    }
    return pinnedAnchor(opts.auditorDir);
  }
  if (opts.coordinatorKey !== undefined) {
    const key = publicKey(opts.coordinatorKey, '--coordinator-key');
    return {
      kind: 'key',
      key,
      keyId: keyId(key),
      ...(opts.federationId !== undefined ? { federationId: opts.federationId } : {}),
      source: '--coordinator-key',
    };
  }
  const id = opts.coordinatorKeyId!.toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) {
    throw new HeflError('invalid_argument', '--coordinator-key-id must be 32 hex characters (a key id)');
  }
  if (opts.federationId === undefined) {
    throw new HeflError('invalid_argument', '--coordinator-key-id needs --federation-id ID as well');
  }
  return { kind: 'key-id', keyId: id, federationId: opts.federationId, source: '--coordinator-key-id' };
}

async function pinnedAnchor(dir: string): Promise<Anchor> {
  const path = join(dir, MEMBER_FILES.coordinator);
  const pinned = (await readJsonFile(path, 'pinned coordinator')) as {
    federationId?: unknown;
    signingPublicKey?: unknown;
  } | null;
  const key = publicKey(pinned?.signingPublicKey, `${path}: signingPublicKey`);
  if (typeof pinned?.federationId !== 'string' || pinned.federationId === '') {
    throw new HeflError('invalid_argument', `${path}: federationId missing`);
  }
  return { kind: 'pinned', key, keyId: keyId(key), federationId: pinned.federationId, source: path };
}

/** The coordinator key a manifest names, if its key id is the anchored one. */
function namedCoordinatorKey(file: unknown, path: string, anchor: Anchor): Uint8Array {
  const named = (file as { manifest?: { coordinator?: { signingPublicKey?: unknown } } } | null)?.manifest
    ?.coordinator?.signingPublicKey;
  const key = publicKey(named, `${path}: manifest.coordinator.signingPublicKey`);
  if (keyId(key) !== anchor.keyId) {
    throw new HeflError(
      'integrity',
      `${path} names coordinator key id ${keyId(key)}, not the anchored ${anchor.keyId}: coordinator key replaced`,
    );
  }
  return key;
}

function publicKey(hex: unknown, what: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new HeflError('invalid_argument', `${what} must be 64 hex characters (an Ed25519 public key)`);
  }
  return fromHex(hex);
}
