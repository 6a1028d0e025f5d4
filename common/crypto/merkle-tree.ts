import { HeflError } from '../errors/index.js';
import { bytesEqual, SHA256_BYTES, sha256 } from './digest.js';

/*
 * RFC 6962 / RFC 9162 Merkle tree over 32-byte leaf digests (the digests of the updates a
 * round accepted). Leaf and interior hashes are domain-separated (0x00 / 0x01 prefix) so a
 * leaf can never be passed off as an interior node. The tree is unbalanced-right as in
 * Certificate Transparency: split at the largest power of two below n. Leaf order is the
 * caller's business (it must be the same for whoever recomputes the root).
 */

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x00 || leaf). */
export function merkleLeafHash(leaf: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leaf);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkLeaves(leaves: readonly Uint8Array[]): void {
  leaves.forEach((leaf, i) => {
    if (leaf.byteLength !== SHA256_BYTES) {
      throw new HeflError(
        'invalid_argument',
        `Merkle leaf ${i} must be a ${SHA256_BYTES}-byte digest, got ${leaf.byteLength}`,
      );
    }
  });
}

function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return merkleLeafHash(leaves[start]!);
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** Root over `leaves`; the empty tree's root is SHA-256 of the empty string. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  checkLeaves(leaves);
  if (leaves.length === 0) return sha256();
  return subtreeRoot(leaves, 0, leaves.length);
}

/**
 * Audit path for `leaves[index]` (RFC 6962 PATH(m, D[n])), ordered from the leaf's sibling
 * up to the child of the root. Throws `invalid_argument` if `index` is outside the tree.
 */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  checkLeaves(leaves);
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new HeflError('invalid_argument', `leaf index ${index} outside a tree of ${leaves.length} leaves`);
  }
  const path: Uint8Array[] = [];
  let start = 0;
  let end = leaves.length;
  let m = index;
  // Walk down from the root, collecting siblings; reversed at the end to go leaf-upwards.
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (m < k) {
      path.push(subtreeRoot(leaves, start + k, end));
      end = start + k;
    } else {
      path.push(subtreeRoot(leaves, start, start + k));
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/**
 * Checks that `leaf` sits at `index` in a tree of `treeSize` leaves with root `root`
 * (RFC 9162 section 2.1.3.2). Returns false, never throws, for any mismatch or malformed
 * proof, since proofs come from other parties.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leaf.byteLength !== SHA256_BYTES || root.byteLength !== SHA256_BYTES) return false;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) {
    return false;
  }
  // Bit operations below need 32-bit safe values; rounds never approach 2^31 updates.
  if (treeSize > 0x7fffffff) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = merkleLeafHash(leaf);
  for (const p of proof) {
    if (p.byteLength !== SHA256_BYTES || sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1) === 0 && fn !== 0) {
        fn >>>= 1;
        sn >>>= 1;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>>= 1;
    sn >>>= 1;
  }
  return sn === 0 && bytesEqual(r, root);
}
