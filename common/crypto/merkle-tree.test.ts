import { describe, expect, it } from 'vitest';
import { HeflError } from '../errors/index.js';
import { sha256, toHex } from './digest.js';
import { inclusionProof, merkleLeafHash, merkleRoot, verifyInclusion } from './merkle-tree.js';

function leavesOf(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => sha256(Uint8Array.of(i)));
}

const H = (...parts: Uint8Array[]) => sha256(...parts);
const ONE = Uint8Array.of(1);

describe('merkle tree', () => {
  it('has SHA-256("") as the empty root and H(0x00||leaf) for one leaf', () => {
    const [a] = leavesOf(1);

    expect(toHex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(merkleRoot([a!])).toEqual(H(Uint8Array.of(0), a!));
  });

  it('splits at the largest power of two below n (RFC 6962), computed by hand for 3 and 5 leaves', () => {
    const [a, b, c, d, e] = leavesOf(5).map(merkleLeafHash) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const ab = H(ONE, a, b);
    const cd = H(ONE, c, d);

    const root3 = merkleRoot(leavesOf(3));
    const root5 = merkleRoot(leavesOf(5));

    expect(root3).toEqual(H(ONE, ab, c));
    expect(root5).toEqual(H(ONE, H(ONE, ab, cd), e));
  });

  it('proves and verifies every leaf of trees of size 1..17', () => {
    for (let size = 1; size <= 17; size += 1) {
      const leaves = leavesOf(size);
      const root = merkleRoot(leaves);
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(leaves, index);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
      }
    }
  });

  it('rejects a proof used for the wrong index, size, leaf or root', () => {
    const leaves = leavesOf(7);
    const root = merkleRoot(leaves);
    const proof = inclusionProof(leaves, 2);

    expect(verifyInclusion(leaves[2]!, 3, 7, proof, root)).toBe(false);
    // Sizes 5..8 share leaf 2's path shape (the root alone binds them); size 4 does not.
    expect(verifyInclusion(leaves[2]!, 2, 4, proof, root)).toBe(false);
    expect(verifyInclusion(leaves[3]!, 2, 7, proof, root)).toBe(false);
    expect(verifyInclusion(leaves[2]!, 2, 7, proof, merkleRoot(leavesOf(6)))).toBe(false);
    expect(verifyInclusion(leaves[2]!, 7, 7, proof, root)).toBe(false);
  });

  it('rejects a tampered, truncated or extended proof', () => {
    const leaves = leavesOf(6);
    const root = merkleRoot(leaves);
    const proof = inclusionProof(leaves, 4);
    const tampered = proof.map((p) => p.slice());
    tampered[0]![0] = tampered[0]![0]! ^ 1;

    expect(verifyInclusion(leaves[4]!, 4, 6, tampered, root)).toBe(false);
    expect(verifyInclusion(leaves[4]!, 4, 6, proof.slice(1), root)).toBe(false);
    expect(verifyInclusion(leaves[4]!, 4, 6, [...proof, proof[0]!], root)).toBe(false);
  });

  it('refuses leaves that are not 32-byte digests and out-of-range indices', () => {
    expect(() => merkleRoot([new Uint8Array(31)])).toThrow(HeflError);
    expect(() => inclusionProof(leavesOf(3), 3)).toThrow(HeflError);
  });

  it('changes the root when any leaf or the leaf order changes', () => {
    const leaves = leavesOf(4);
    const root = merkleRoot(leaves);

    expect(merkleRoot([leaves[1]!, leaves[0]!, leaves[2]!, leaves[3]!])).not.toEqual(root);
    expect(merkleRoot(leaves.slice(0, 3))).not.toEqual(root);
  });
});
