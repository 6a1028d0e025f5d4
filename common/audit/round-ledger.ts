import type { AuditFault } from './audit-chain-checker.js';
import type { EntryFact } from './entry-facts.js';
import type { RecordedSiteHead } from './site-head-check.js';

/** Evidence a site log or researcher record holds: where it is and whose it is. */
export interface Evidence {
  readonly file: string;
  readonly line: number;
  readonly site: string;
}
/** A signed coordinator head someone holds. */
export interface HeadSeen extends Evidence {
  readonly hash: string;
}
/** A receipt a site logged for its update. */
export interface Receipt extends Evidence {
  readonly digest: string;
}

const short = (hex: string) => `${hex.slice(0, 16)}…`;

/**
 * The checks that span coordinator entries, fed in log order: each entry against the
 * coordinator heads others hold, accepted updates and site receipts against the Merkle
 * leaves of the round that closes them, and the highest site heads the coordinator
 * recorded. Memory grows with open rounds, receipts and sites, never with the log.
 */
export class RoundLedger {
  readonly siteHeads = new Map<string, RecordedSiteHead>();
  merkleRoots = 0;
  receiptsMatched = 0;
  headsMatched = 0;
  readonly #openRounds = new Map<string, Set<string>>();

  constructor(
    private readonly file: string,
    private readonly heads: ReadonlyMap<number, HeadSeen>,
    /** Receipts from site logs by round run; what is left at the end was never closed. */
    readonly receipts: Map<string, Receipt[]>,
  ) {}

  /** Seqs whose entry hash must be compared with a held head. */
  headSeqs(): number[] {
    return [...this.heads.keys()];
  }

  /**
   * One intact entry: its seq and hash, its line, and its fact (or why its details are bad).
   * Returns the first problem.
   */
  apply(
    seq: number,
    hash: string,
    line: number,
    fact: EntryFact | { readonly fault: string } | undefined,
  ): AuditFault | undefined {
    const bad = (reason: string): AuditFault => ({ file: this.file, line, seq, reason });
    const head = this.heads.get(seq);
    if (head) {
      if (head.hash !== hash) {
        return bad(
          `entry differs from the signed head ${head.site} saw (${head.file}:${head.line}): log rewritten`,
        );
      }
      this.headsMatched += 1;
    }
    if (fact === undefined) return undefined;
    if ('fault' in fact) return bad(fact.fault);
    switch (fact.kind) {
      case 'accepted': {
        const accepted = this.#openRounds.get(fact.key) ?? new Set<string>();
        accepted.add(fact.digest);
        this.#openRounds.set(fact.key, accepted);
        return undefined;
      }
      case 'lost': {
        // The coordinator found an accepted update's blob damaged and said so: the round closes
        // without it (the site's receipt shows the loss, and this entry is the admission).
        this.#openRounds.get(fact.key)?.delete(fact.digest);
        const kept = (this.receipts.get(fact.key) ?? []).filter((r) => r.digest !== fact.digest);
        this.receipts.set(fact.key, kept);
        return undefined;
      }
      case 'closed': {
        this.merkleRoots += 1;
        const where = `round ${fact.round}'s Merkle root (job ${fact.jobId})`;
        const leaves = new Set(fact.digests);
        for (const digest of this.#openRounds.get(fact.key) ?? []) {
          if (!leaves.has(digest)) return bad(`accepted update ${short(digest)} missing from ${where}`);
        }
        this.#openRounds.delete(fact.key);
        for (const r of this.receipts.get(fact.key) ?? []) {
          if (!leaves.has(r.digest)) {
            return bad(
              `receipt for update ${short(r.digest)} (site ${r.site}, ${r.file}:${r.line}) missing from ${where}`,
            );
          }
          this.receiptsMatched += 1;
        }
        this.receipts.delete(fact.key);
        return undefined;
      }
      case 'site-head': {
        const known = this.siteHeads.get(fact.site);
        if (!known || fact.seq >= known.seq) {
          this.siteHeads.set(fact.site, {
            seq: fact.seq,
            hash: fact.hash,
            coordinatorFile: this.file,
            coordinatorLine: line,
          });
        }
        return undefined;
      }
    }
  }
}
