import { sha256 } from '../crypto/index.js';

const encoder = new TextEncoder();
const DOMAIN = encoder.encode('hefl/job-key-commitment/v1');

/**
 * A binding commitment to a job's HE secret key (SHA-256 over a domain tag, the job id and
 * the serialised key, which re-serialises to the same bytes at every holder). The dealer
 * signs it into its key bundle, so a site that gets the key later from another holder can
 * tell whether that is the key every other site uses. The key is high-entropy (far beyond brute force),
 * so the hash reveals nothing usable about it.
 */
export function jobKeyCommitment(jobId: string, secretKey: Uint8Array): Uint8Array {
  const id = encoder.encode(jobId);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, id.length);
  return sha256(DOMAIN, length, id, secretKey);
}
