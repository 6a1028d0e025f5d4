import { verifySignedManifest } from '../../common/identity/federation-manifest.js';
import type { FederationManifest } from '../../common/identity/manifest-schema.js';

/**
 * The manifest a researcher (or auditor) should trust now: the one the coordinator serves,
 * if it verifies against the coordinator key pinned at enrolment and is not older than the
 * copy on disk (sites admitted after the researcher's own admission then count as sites);
 * otherwise the copy on disk. A badly signed manifest is an error, never silently skipped.
 */
export function freshestManifest(
  local: FederationManifest,
  served: Uint8Array,
  coordinatorKey: Uint8Array,
): { manifest: FederationManifest; source: 'coordinator' | 'local' } {
  if (served.length === 0) return { manifest: local, source: 'local' };
  const fetched = verifySignedManifest(JSON.parse(new TextDecoder().decode(served)), coordinatorKey);
  if (fetched.updatedAt < local.updatedAt) return { manifest: local, source: 'local' };
  return { manifest: fetched, source: 'coordinator' };
}
