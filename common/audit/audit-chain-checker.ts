import { toHex } from '../crypto/index.js';
import { HeflError } from '../errors/index.js';
import { type AuditAction, type AuditEntry, auditEntryHash, GENESIS_PREV } from './audit-entry.js';
import { parseAuditEntry } from './parse-audit-entry.js';

/** The first thing wrong in a log: 1-based line, the entry's seq where known, and why. */
export interface AuditFault {
  readonly file: string;
  readonly line: number;
  readonly seq?: number;
  readonly reason: string;
}

export interface ChainCheckerOptions {
  readonly file: string;
  /** Key id the log's entries must name as `signer`. */
  readonly signerId: string;
  /** Checks an entry signature over the 32 hash bytes; `undefined` = signatures unchecked. */
  readonly verify: ((message: Uint8Array, signature: Uint8Array) => boolean) | undefined;
  /** Actions allowed in this log (coordinator actions or site actions). */
  readonly actions: ReadonlySet<AuditAction>;
}

/**
 * `entry`: intact and in place. `fault`: the first problem. `held`: a seq jump whose verdict
 * (swap or deletion) comes with the next line; callers must not act on that entry.
 */
export type ChainStep =
  | { readonly entry: AuditEntry }
  | { readonly fault: AuditFault }
  | { readonly held: AuditEntry };

interface PendingGap {
  readonly line: number;
  readonly seq: number;
  readonly expected: number;
}

/**
 * Checks one log line by line in O(1) memory: shape, hash (content altered), signer and
 * signature, sequence continuity and the prev link. A seq jump is held for one line to
 * tell a swap (the missing seq comes next) from a deletion. Stop at the first fault.
 */
export class AuditChainChecker {
  readonly #options: ChainCheckerOptions;
  #expected = 1;
  #lastHash = GENESIS_PREV;
  #pending: PendingGap | undefined;

  constructor(options: ChainCheckerOptions) {
    this.#options = options;
  }

  get lastSeq(): number {
    return this.#expected - 1;
  }

  get lastHash(): string {
    return this.#lastHash;
  }

  check(text: string, line: number): ChainStep {
    const { file } = this.#options;
    let entry: AuditEntry;
    try {
      entry = parseAuditEntry(text);
    } catch (error) {
      return this.#resolvePending(undefined) ?? { fault: { file, line, reason: describe(error) } };
    }
    const gap = this.#resolvePending(entry.seq);
    if (gap) return gap;
    const bad = (reason: string): ChainStep => ({ fault: { file, line, seq: entry.seq, reason } });
    const hash = auditEntryHash(entry);
    if (toHex(hash) !== entry.hash) return bad('hash mismatch (entry altered)');
    if (!this.#options.actions.has(entry.action))
      return bad(`action ${entry.action} does not belong in this log`);
    if (entry.signer !== this.#options.signerId) {
      return bad(`signed by an unknown key (${entry.signer}, expected ${this.#options.signerId})`);
    }
    const { verify } = this.#options;
    if (verify && !verify(hash, Buffer.from(entry.sig, 'base64'))) return bad('signature invalid');
    if (entry.seq > this.#expected) {
      this.#pending = { line, seq: entry.seq, expected: this.#expected };
      return { held: entry };
    }
    if (entry.seq < this.#expected) {
      return bad(
        entry.seq === this.#expected - 1
          ? `duplicate entry: seq ${entry.seq} appears twice`
          : `sequence out of order (entries swapped): expected ${this.#expected}, found ${entry.seq}`,
      );
    }
    if (entry.prev !== this.#lastHash) {
      return bad(`broken hash chain: prev does not match the hash of entry ${entry.seq - 1}`);
    }
    this.#expected += 1;
    this.#lastHash = entry.hash;
    return { entry };
  }

  /** Call at end of file: a seq jump on the last line was a deletion. */
  finish(): AuditFault | undefined {
    const fault = this.#resolvePending(undefined);
    return fault && 'fault' in fault ? fault.fault : undefined;
  }

  #resolvePending(nextSeq: number | undefined): ChainStep | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    this.#pending = undefined;
    const reason =
      nextSeq === pending.expected
        ? `sequence out of order (entries swapped): expected ${pending.expected}, found ${pending.seq}`
        : `sequence gap: expected ${pending.expected}, found ${pending.seq} (entry deleted)`;
    return { fault: { file: this.#options.file, line: pending.line, seq: pending.seq, reason } };
  }
}

function describe(error: unknown): string {
  if (error instanceof HeflError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
