import { open } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { HeflError } from '../errors/index.js';
import type { AuditFault } from './audit-chain-checker.js';
import { GENESIS_PREV } from './audit-entry.js';
import type { VerifyBatchResult, VerifyItem, VerifyWorkerConfig } from './audit-verify-protocol.js';
import { startVerifyWorker } from './start-verify-worker.js';

export interface ParallelScanOptions extends VerifyWorkerConfig {
  /** Worker threads to use (at least 1). */
  readonly workers: number;
  /** Bytes per batch; whole lines are cut at the last newline. */
  readonly batchBytes?: number;
}

/**
 * `intact`: every line passed the per-entry checks, the links held within and across
 * batches and `onItem` found nothing; the head (last entry) and its signature are returned
 * for the caller to verify. `unsure`: something did not pass, and only the exact sequential
 * pass may say what (the first bad entry, with the reason it states).
 */
export type ParallelScan =
  | {
      readonly kind: 'intact';
      readonly entries: number;
      readonly lastSeq: number;
      readonly lastHash: string;
      readonly lastSig: string;
      readonly signatures: number;
    }
  | { readonly kind: 'unsure' };

/**
 * Reads a coordinator log in batches of whole lines, checks the batches on worker threads and
 * hands the entries the ordered checks need to `onItem` in log order (absolute line numbers).
 * Reading, checking and the ordered pass overlap; at most two batches per worker are in flight.
 */
export async function scanLogInParallel(
  path: string,
  options: ParallelScanOptions,
  onItem: (item: VerifyItem) => AuditFault | undefined,
): Promise<ParallelScan> {
  const { workers: count, batchBytes = 1 << 20, ...config } = options;
  const handle = await open(path, 'r').catch((error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    throw new HeflError('invalid_argument', `cannot read audit log ${path}: ${why}`, { cause: error });
  });
  const pool: Worker[] = [];
  try {
    for (let i = 0; i < Math.max(1, count); i++) pool.push(startVerifyWorker(config));
    return await run(handle, pool, batchBytes, onItem);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
    await handle.close().catch(() => undefined);
  }
}

async function run(
  handle: Awaited<ReturnType<typeof open>>,
  pool: readonly Worker[],
  batchBytes: number,
  onItem: (item: VerifyItem) => AuditFault | undefined,
): Promise<ParallelScan> {
  const results = new Map<number, VerifyBatchResult>();
  let wake: (() => void) | undefined;
  let crashed: unknown;
  for (const worker of pool) {
    worker.on('message', (r: VerifyBatchResult) => {
      results.set(r.id, r);
      wake?.();
    });
    worker.on('error', (error) => {
      crashed = error;
      wake?.();
    });
  }
  const waitForResult = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  let sent = 0;
  let done = 0;
  let position = 0;
  let carry = Buffer.alloc(0);
  let eof = false;
  let lineOffset = 0;
  let lastSeq = 0;
  let lastHash = GENESIS_PREV;
  let lastSig = '';
  let signatures = 0;
  const readBatch = async (): Promise<ArrayBuffer | undefined> => {
    while (!eof) {
      const chunk = Buffer.allocUnsafe(batchBytes);
      const { bytesRead } = await handle.read(chunk, 0, batchBytes, position);
      position += bytesRead;
      if (bytesRead === 0) eof = true;
      const data = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const cut = eof ? data.length : data.lastIndexOf(0x0a) + 1;
      carry = data.subarray(cut);
      if (cut > 0) {
        const copy = new ArrayBuffer(cut);
        new Uint8Array(copy).set(data.subarray(0, cut));
        return copy;
      }
    }
    return undefined;
  };

  for (;;) {
    while (!eof && sent - done < pool.length * 2) {
      const buffer = await readBatch();
      if (!buffer) break;
      pool[sent % pool.length]!.postMessage({ id: sent, bytes: new Uint8Array(buffer) }, [buffer]);
      sent += 1;
    }
    if (done === sent) break;
    while (!results.has(done)) {
      if (crashed) throw new HeflError('internal', 'audit verify worker crashed', { cause: crashed });
      await waitForResult();
    }
    const r = results.get(done)!;
    results.delete(done);
    done += 1;
    if (!r.ok || r.firstSeq !== lastSeq + 1 || r.firstPrev !== lastHash) return { kind: 'unsure' };
    for (const [line, seq, hash, fact] of r.items) {
      if (onItem([line + lineOffset, seq, hash, fact])) return { kind: 'unsure' };
    }
    lineOffset += r.lines;
    lastSeq = r.lastSeq;
    lastHash = r.lastHash;
    lastSig = r.lastSig;
    signatures += r.signatures;
  }
  return { kind: 'intact', entries: lastSeq, lastSeq, lastHash, lastSig, signatures };
}
