import * as nodeFs from 'node:fs';
import { keyId, toHex } from '../crypto/index.js';
import { nativeSigner, nativeVerifier } from '../crypto/native-ed25519.js';
import { HeflError } from '../errors/index.js';
import type { Clock } from '../time/clock.js';
import {
  type AuditAction,
  type AuditDetails,
  type AuditEntry,
  auditEntryHash,
  GENESIS_PREV,
  type UnsignedAuditEntry,
} from './audit-entry.js';
import { type AuditHead, auditHeadMessage } from './audit-head.js';
import { parseAuditEntry } from './parse-audit-entry.js';

/** The file operations the writer needs; tests inject a spy to see the fsync. */
export type AuditFs = Pick<
  typeof nodeFs,
  'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'fstatSync' | 'readSync'
>;

/** The log owner's Ed25519 key pair (coordinator for its log, a site for its own). */
export interface AuditSigner {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface AuditRecord {
  readonly actor: string;
  readonly action: AuditAction;
  readonly cause: number | null;
  readonly details: AuditDetails;
}

const TAIL_CHUNK = 64 * 1024;
/** Detail names that would mean someone is logging what the federation protects. */
const FORBIDDEN_DETAIL =
  /^(secret.*|private.*|.*secretkey|weights?|plaintext|values|records|rows|ciphertext)$/i;
const MAX_NUMERIC_ARRAY = 64;

/**
 * Appends signed entries to an audit log. Each `append` writes one line and fsyncs before
 * it returns, so a caller that replies only after `append` never acknowledges an event the
 * log could lose. The file is opened for appending only; nothing is ever rewritten.
 * One writer per file (the coordinator or site process owns it).
 */
export class AuditLogWriter {
  readonly #fs: AuditFs;
  readonly #fd: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #sign: (message: Uint8Array) => Uint8Array;
  readonly #signerId: string;
  #seq: number;
  #lastHash: string;
  #lastSig: string;
  #closed = false;

  private constructor(
    fs: AuditFs,
    fd: number,
    signer: AuditSigner,
    clock: Pick<Clock, 'now'>,
    last?: AuditEntry,
  ) {
    this.#fs = fs;
    this.#fd = fd;
    this.#clock = clock;
    this.#sign = nativeSigner(signer.secretKey);
    this.#signerId = keyId(signer.publicKey);
    this.#seq = last?.seq ?? 0;
    this.#lastHash = last?.hash ?? GENESIS_PREV;
    this.#lastSig = last?.sig ?? '';
  }

  /**
   * Opens (creating if needed) the log at `path` and continues after its last entry.
   * Refuses (`integrity`) a file whose last line is incomplete or whose last entry is not
   * intact and signed by `signer`: appending to a log someone altered would bless it.
   * Earlier entries are not re-read (that is `verifyAuditLog`'s job, in O(file) time).
   */
  static open(
    path: string,
    signer: AuditSigner,
    clock: Pick<Clock, 'now'> = { now: () => Date.now() },
    fs: AuditFs = nodeFs,
  ): AuditLogWriter {
    let fd: number;
    try {
      fd = fs.openSync(path, 'a+');
    } catch (error) {
      throw new HeflError('invalid_argument', `cannot open audit log ${path}`, { cause: error });
    }
    try {
      const lastLine = readLastLine(fs, fd, path);
      const last = lastLine === undefined ? undefined : checkLastEntry(lastLine, signer, path);
      return new AuditLogWriter(fs, fd, signer, clock, last);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Signs, writes and fsyncs one entry; returns it once it is durable. */
  append(record: AuditRecord): AuditEntry {
    if (this.#closed) throw new HeflError('failed_precondition', 'audit log writer is closed');
    const seq = this.#seq + 1;
    if (
      record.cause !== null &&
      (!Number.isInteger(record.cause) || record.cause < 1 || record.cause >= seq)
    ) {
      throw new HeflError(
        'invalid_argument',
        `cause ${record.cause} is not an earlier entry (next seq ${seq})`,
      );
    }
    checkDetails(record.details, 'details');
    // Hash exactly what the line will hold: JSON drops undefined and turns a Date into a
    // string, and the verifier recomputes the hash from the parsed line.
    const details = JSON.parse(JSON.stringify(record.details)) as AuditDetails;
    const unsigned: UnsignedAuditEntry = {
      seq,
      time: new Date(this.#clock.now()).toISOString(),
      actor: record.actor,
      action: record.action,
      cause: record.cause,
      details,
      prev: this.#lastHash,
      signer: this.#signerId,
    };
    const hash = auditEntryHash(unsigned);
    const entry: AuditEntry = {
      ...unsigned,
      hash: toHex(hash),
      sig: Buffer.from(this.#sign(hash)).toString('base64'),
    };
    const bytes = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.byteLength) {
      written += this.#fs.writeSync(this.#fd, bytes, written, bytes.byteLength - written);
    }
    this.#fs.fsyncSync(this.#fd);
    this.#seq = seq;
    this.#lastHash = entry.hash;
    this.#lastSig = entry.sig;
    return entry;
  }

  /** The signed head (last seq and hash) to hand to sites; seq 0 before the first entry. */
  head(): AuditHead {
    if (this.#seq === 0) return { seq: 0, hash: GENESIS_PREV, sig: '' };
    const sig = Buffer.from(this.#sign(auditHeadMessage(this.#seq, this.#lastHash))).toString('base64');
    return { seq: this.#seq, hash: this.#lastHash, sig };
  }

  /** seq and hash of the last entry, and its entry signature (for resuming callers). */
  get last(): { readonly seq: number; readonly hash: string; readonly sig: string } {
    return { seq: this.#seq, hash: this.#lastHash, sig: this.#lastSig };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fs.closeSync(this.#fd);
  }
}

/** The last `\n`-terminated line, read backwards from the end (no whole-file read). */
function readLastLine(fs: AuditFs, fd: number, path: string): string | undefined {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return undefined;
  let start = size;
  let tail = Buffer.alloc(0);
  for (;;) {
    const length = Math.min(TAIL_CHUNK, start);
    start -= length;
    const chunk = Buffer.alloc(length);
    fs.readSync(fd, chunk, 0, length, start);
    tail = Buffer.concat([chunk, tail]);
    if (tail[tail.byteLength - 1] !== 0x0a) {
      throw new HeflError('integrity', `audit log ${path} ends in an incomplete line (interrupted write?)`);
    }
    const newline = tail.lastIndexOf(0x0a, tail.byteLength - 2);
    if (newline >= 0 || start === 0) return tail.subarray(newline + 1, tail.byteLength - 1).toString('utf8');
  }
}

function checkLastEntry(line: string, signer: AuditSigner, path: string): AuditEntry {
  let entry: AuditEntry;
  try {
    entry = parseAuditEntry(line);
  } catch (error) {
    throw new HeflError('integrity', `last entry of audit log ${path} is unreadable`, { cause: error });
  }
  const hash = auditEntryHash(entry);
  const intact = toHex(hash) === entry.hash && entry.signer === keyId(signer.publicKey);
  if (!intact || !nativeVerifier(signer.publicKey)(hash, Buffer.from(entry.sig, 'base64'))) {
    throw new HeflError(
      'integrity',
      `last entry (seq ${entry.seq}) of audit log ${path} does not verify with this log's key; refusing to append`,
    );
  }
  return entry;
}

/** Refuses detail names and shapes that look like protected data (defence in depth). */
function checkDetails(value: unknown, path: string): void {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new HeflError(
      'invalid_argument',
      `${path}: audit details must not hold raw bytes (log a digest instead)`,
    );
  }
  if (Array.isArray(value)) {
    if (value.length > MAX_NUMERIC_ARRAY && value.every((v) => typeof v === 'number')) {
      throw new HeflError('invalid_argument', `${path}: audit details must not hold numeric vectors`);
    }
    value.forEach((v, i) => {
      checkDetails(v, `${path}[${i}]`);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (FORBIDDEN_DETAIL.test(key)) {
        throw new HeflError(
          'invalid_argument',
          `${path}.${key}: audit details must never hold values, weights or keys`,
        );
      }
      checkDetails(v, `${path}.${key}`);
    }
  }
}
