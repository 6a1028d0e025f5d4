import { describe, expect, it } from 'vitest';
import { modelHash } from './model-hash.js';

describe('modelHash', () => {
  it('is SHA-256 over little-endian float32 bytes (checked with Python hashlib + struct)', () => {
    const weights = Float32Array.of(1, -2.5);

    const hash = modelHash(weights);

    // hashlib.sha256(struct.pack('<ff', 1.0, -2.5)).hexdigest()
    expect(hash).toBe('48943f7a0ea247f8e3c9386d0c5822fe181d323a9289980426638cc4e72a43e1');
  });

  it('hashes only the viewed elements of a subarray', () => {
    const backing = Float32Array.of(9, 1, -2.5, 9);

    const hash = modelHash(backing.subarray(1, 3));

    expect(hash).toBe(modelHash(Float32Array.of(1, -2.5)));
  });

  it('changes when one parameter changes by one ulp', () => {
    const a = Float32Array.of(1, 2, 3);
    const b = Float32Array.of(1, 2, 3);
    const bits = new Uint32Array(b.buffer);
    bits[1] = bits[1]! + 1;

    expect(modelHash(b)).not.toBe(modelHash(a));
  });
});
