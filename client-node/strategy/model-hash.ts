import { createHash } from 'node:crypto';
import { endianness } from 'node:os';

/**
 * Hex SHA-256 over the parameters as little-endian float32 bytes: the value each site
 * signs after the server step, so the coordinator can record that all sites hold the same
 * model (a mismatch stops the job). Independent of host byte order and of the view's offset.
 */
export function modelHash(weights: Float32Array): string {
  const hash = createHash('sha256');
  if (endianness() === 'LE') {
    hash.update(new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  } else {
    const bytes = new Uint8Array(weights.byteLength);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < weights.length; i += 1) view.setFloat32(i * 4, weights[i]!, true);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
