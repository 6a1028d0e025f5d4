import { createHash } from 'node:crypto';
import { type BlobStore, type BlobWriter, damagedBlob } from '../../../coordinator/storage/blob-store.js';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The blob store in memory, for unit tests of the job state machine: content-addressed by
 * SHA-256 and checked on every read like FileBlobStore, so a test can damage a blob
 * (`corrupt`, `remove`) and see the job treat it as the file store's damage.
 */
export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Uint8Array>();

  async createWriter(): Promise<BlobWriter> {
    const parts: Uint8Array[] = [];
    let bytesWritten = 0;
    const store = this.blobs;
    return {
      get bytesWritten() {
        return bytesWritten;
      },
      async write(chunk: Uint8Array) {
        parts.push(Uint8Array.from(chunk));
        bytesWritten += chunk.length;
      },
      async finish(expectedDigest?: string) {
        const bytes = Buffer.concat(parts);
        const digest = sha256Hex(bytes);
        if (expectedDigest !== undefined && expectedDigest !== digest) throw damagedBlob(digest, 'corrupt');
        store.set(digest, new Uint8Array(bytes));
        return { digest, size: bytes.length };
      },
      async abort() {
        parts.length = 0;
      },
    };
  }

  /** Stores `bytes` directly; returns what a finished writer returns. */
  async put(bytes: Uint8Array): Promise<{ digest: string; size: number }> {
    const writer = await this.createWriter();
    await writer.write(bytes);
    return writer.finish();
  }

  async read(digest: string): Promise<Uint8Array> {
    const bytes = this.blobs.get(digest);
    if (!bytes) throw damagedBlob(digest, 'missing');
    if (sha256Hex(bytes) !== digest) throw damagedBlob(digest, 'corrupt');
    return bytes;
  }

  async *readChunks(digest: string, chunkSize: number): AsyncIterable<Uint8Array> {
    const bytes = await this.read(digest);
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  }

  async has(digest: string): Promise<boolean> {
    return this.blobs.has(digest);
  }

  async delete(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  /** The digests stored now, sorted. */
  digests(): string[] {
    return [...this.blobs.keys()].sort();
  }

  /** Flips a byte of a stored blob (as a disk fault would). */
  corrupt(digest: string): void {
    const bytes = this.blobs.get(digest);
    if (!bytes || bytes.length === 0) throw new Error(`no blob ${digest} to corrupt`);
    bytes[0] = bytes[0]! ^ 0xff;
  }

  /** Loses a stored blob (as a deleted file would). */
  remove(digest: string): void {
    this.blobs.delete(digest);
  }
}
