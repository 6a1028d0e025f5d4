import { bytesEqual, fromHex } from '../../common/crypto/index.js';
import { errorCodeForGrpcStatus, HeflError } from '../../common/errors/index.js';
// Not the identity index: it would load the X.509 library, which a researcher call never needs.
import { loadMemberIdentity } from '../../common/identity/member-identity.js';
import { channelCredentials } from '../../common/identity/tls-credentials.js';
import { freshestManifest } from '../researcher/freshest-manifest.js';
import { ResearcherClient } from '../researcher/researcher-client.js';

/**
 * What the job commands need from a researcher folder: a client to the coordinator, the
 * X25519 secret that opens metrics sealed to this researcher, and the site keys that site
 * reports must be signed with (from the newest verified manifest: the coordinator's, or the
 * copy installed with the admission). The secret stays in this process.
 */
export interface ResearcherSession {
  readonly client: ResearcherClient;
  readonly sealingSecretKey: Uint8Array;
  /** The coordinator's Ed25519 key pinned in the researcher folder (checks its signed heads). */
  readonly coordinatorKey: Uint8Array;
  readonly isSite: (signingKey: Uint8Array) => boolean;
  /** The id of the (unrevoked) site that owns a signing key, per the researcher's manifest. */
  readonly siteIdOf: (signingKey: Uint8Array) => string | undefined;
  /** Runs one coordinator call, turning a gRPC failure into a HeflError that names the address. */
  call<T>(what: string, run: (client: ResearcherClient) => Promise<T>): Promise<T>;
  close(): void;
}

/** Loads the researcher identity in `dir` (made by `hefl site enroll --role researcher`). */
export async function openResearcherSession(dir: string, address: string): Promise<ResearcherSession> {
  const identity = await loadMemberIdentity(dir);
  if (identity.member.role !== 'researcher') {
    throw new HeflError(
      'invalid_argument',
      `${dir} holds the identity of ${identity.member.role} ${identity.member.id}, not a researcher`,
    );
  }
  const client = new ResearcherClient(address, channelCredentials(identity.tls), {
    signingSecretKey: identity.signingKey.secretKey,
    sealingPublicKey: identity.sealingKey.publicKey,
    sealingSecretKey: identity.sealingKey.secretKey,
  });
  // The manifest the coordinator serves now, if newer than ours: sites admitted after this
  // researcher sign reports and releases too.
  const served = await client.signedManifest().catch((error: unknown) => {
    client.close();
    throw fromGrpcError(error, 'fetch the federation manifest', address);
  });
  const { manifest } = freshestManifest(identity.manifest, served, identity.coordinatorSigningPublicKey);
  const sites = manifest.members
    .filter((m) => m.role === 'site' && m.revokedAt === undefined)
    .map((m) => ({ id: m.id, key: fromHex(m.signingPublicKey) }));
  const siteIdOf = (pk: Uint8Array) => sites.find((s) => bytesEqual(s.key, pk))?.id;
  return {
    client,
    sealingSecretKey: identity.sealingKey.secretKey,
    coordinatorKey: identity.coordinatorSigningPublicKey,
    isSite: (pk) => siteIdOf(pk) !== undefined,
    siteIdOf,
    call: async (what, run) => {
      try {
        return await run(client);
      } catch (error) {
        throw fromGrpcError(error, what, address);
      }
    },
    close: () => client.close(),
  };
}

/** A coordinator's refusal (or no coordinator at all) as one line a person can act on. */
export function fromGrpcError(error: unknown, what: string, address: string): unknown {
  if (HeflError.is(error)) return error;
  // A gRPC ServiceError: its numeric status `code`, and `details` as the peer wrote them.
  const e = error as { code?: unknown; details?: string; message?: string } | undefined;
  if (typeof e?.code !== 'number') return error;
  const code = errorCodeForGrpcStatus(e.code);
  const detail = e.details || e.message || 'no detail';
  const message =
    code === 'unavailable'
      ? `${what}: cannot reach the coordinator at ${address} (${detail})`
      : `${what}: the coordinator at ${address} refused: ${detail}`;
  return new HeflError(code, message, { cause: error });
}
