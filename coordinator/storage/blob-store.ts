import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';

/** A blob being written: bytes are hashed as they arrive and become visible only when finished. */
export interface BlobWriter {
  readonly bytesWritten: number;
  write(chunk: Uint8Array): Promise<void>;
  /**
   * fsyncs, then moves the blob to its content address; returns its SHA-256 (hex). With
   * `expectedDigest`, a mismatch discards the bytes and throws 'integrity' instead.
   */
  finish(expectedDigest?: string): Promise<{ digest: string; size: number }>;
  abort(): Promise<void>;
}

/**
 * Ciphertext blobs on disk, content-addressed by SHA-256: updates and aggregates. Every
 * read checks the bytes against the digest they are named by: a missing blob or one whose
 * bytes changed on disk is an `integrity` error naming the blob (see `damagedBlob`), never
 * bytes handed on as if they were intact.
 */
export interface BlobStore {
  createWriter(): Promise<BlobWriter>;
  read(digest: string): Promise<Uint8Array>;
  /** The blob in chunks, yielded only after the whole blob was checked against its digest. */
  readChunks(digest: string, chunkSize: number): AsyncIterable<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /** Removes a blob no longer needed; removing one that is not there is not an error. */
  delete(digest: string): Promise<void>;
}

const DIGEST = /^[0-9a-f]{64}$/;

/** How a stored blob failed its check: gone, or its bytes no longer hash to its name. */
export type BlobDamage = 'missing' | 'corrupt';

/** The `integrity` error for a damaged blob; its message names the blob (first 16 hex digits). */
export function damagedBlob(digest: string, damage: BlobDamage, cause?: unknown): HeflError {
  const what = damage === 'missing' ? 'is missing' : 'does not match its SHA-256 digest (corrupt on disk)';
  return new HeflError('integrity', `blob ${digest.slice(0, 16)} ${what}`, {
    cause,
    publicDetail: `stored data ${digest.slice(0, 16)} is damaged at the coordinator`,
  });
}

/** Whether an error is a damaged-blob error from a BlobStore read. */
export function isDamagedBlob(error: unknown): error is HeflError {
  return HeflError.is(error, 'integrity') && /^blob [0-9a-f]{16} /.test(error.message);
}

export class FileBlobStore implements BlobStore {
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Opens (creating) the store in `dir`. Partial writes left by a crash (`tmp/*.part`, never
   * acknowledged to anyone) are removed: nothing is writing while the coordinator starts.
   */
  static async open(dir: string): Promise<FileBlobStore> {
    await rm(join(dir, 'tmp'), { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
    return new FileBlobStore(dir);
  }

  async createWriter(): Promise<BlobWriter> {
    const tmpPath = join(this.dir, 'tmp', `${randomBytes(12).toString('hex')}.part`);
    const handle = await open(tmpPath, 'wx', 0o600);
    return new FileBlobWriter(handle, tmpPath, (digest) => this.pathOf(digest));
  }

  async read(digest: string): Promise<Uint8Array> {
    const path = this.pathOf(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw damagedBlob(digest, 'missing', error);
    }
    if (createHash('sha256').update(bytes).digest('hex') !== digest) throw damagedBlob(digest, 'corrupt');
    return new Uint8Array(bytes);
  }

  async *readChunks(digest: string, chunkSize: number): AsyncIterable<Uint8Array> {
    // Checked in a first pass, so no peer ever receives part of a damaged blob.
    const path = this.pathOf(digest);
    const hash = createHash('sha256');
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: chunkSize }))
        hash.update(chunk as Buffer);
    } catch (error) {
      throw damagedBlob(digest, 'missing', error);
    }
    if (hash.digest('hex') !== digest) throw damagedBlob(digest, 'corrupt');
    for await (const chunk of createReadStream(path, { highWaterMark: chunkSize })) {
      yield chunk as Buffer;
    }
  }

  async has(digest: string): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch {
      return false;
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  private pathOf(digest: string): string {
    if (!DIGEST.test(digest)) throw new HeflError('invalid_argument', 'not a SHA-256 digest');
    return join(this.dir, digest.slice(0, 2), digest);
  }
}

class FileBlobWriter implements BlobWriter {
  private readonly hash = createHash('sha256');
  private written = 0;
  private done = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly pathOf: (digest: string) => string,
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    await this.handle.write(chunk);
    this.written += chunk.length;
  }

  async finish(expectedDigest?: string): Promise<{ digest: string; size: number }> {
    this.done = true;
    await this.handle.sync();
    await this.handle.close();
    const digest = this.hash.digest('hex');
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      await rm(this.tmpPath, { force: true });
      throw new HeflError('integrity', 'received bytes do not match the signed digest', {
        publicDetail: 'data does not match the digest in the signed header',
      });
    }
    const target = this.pathOf(digest);
    await mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
    await rename(this.tmpPath, target);
    return { digest, size: this.written };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.handle.close().catch(() => {});
    await rm(this.tmpPath, { force: true });
  }
}
