import type { AuditHead } from '../../common/audit/audit-head.js';
import { verifyAuditHead } from '../../common/audit/audit-head.js';
import { parseAuditHead } from '../../common/audit/parse-audit-head.js';
import { nativeVerifier } from '../../common/crypto/native-ed25519.js';
import type { Clock } from '../../common/time/clock.js';
import type { Member } from '../members/member-directory.js';
import type { AuditSink } from './audit-sink.js';

/** At most one `site-head.recorded` entry per site per this interval (ms). */
export const SITE_HEAD_INTERVAL_MS = 60_000;

/**
 * Records the signed heads of the sites' own audit logs in the coordinator's log, so a site
 * that later drops the tail of its log or rewrites it with its own key is contradicted by its
 * own signature (`hefl audit verify` checks site logs against these). Heads arrive in the
 * signed SiteHello and RoundReport. A head is kept only if it parses, is small, and verifies
 * with the site's manifest key; anything else is ignored (never logged).
 *
 * Amplification bound: heads that ride with a report go into that report's one
 * `round.reported` entry (no extra entry). A hello adds a `site-head.recorded` entry only when
 * the site's head moved past the last one recorded this way, and at most once per
 * SITE_HEAD_INTERVAL_MS per site, however often it reconnects. State is in memory: a restart
 * allows one more entry per site.
 */
export class SiteHeadRecorder {
  readonly #last = new Map<string, { seq: number; at: number }>();

  constructor(private readonly deps: { audit: AuditSink; clock: Pick<Clock, 'now'> }) {}

  /** The site's head if it carries the site's valid signature; otherwise undefined. */
  verified(member: Pick<Member, 'signingPublicKey'>, headJson: Uint8Array): AuditHead | undefined {
    const head = parseAuditHead(headJson);
    if (!head) return undefined;
    return verifyAuditHead(head, nativeVerifier(member.signingPublicKey)) ? head : undefined;
  }

  /** On a site's hello: records its head when it changed and the interval has passed. */
  onHello(member: Pick<Member, 'id' | 'signingPublicKey'>, headJson: Uint8Array): void {
    const head = this.verified(member, headJson);
    if (!head) return;
    const now = this.deps.clock.now();
    const last = this.#last.get(member.id);
    if (last && (head.seq <= last.seq || now - last.at < SITE_HEAD_INTERVAL_MS)) return;
    this.deps.audit.append({
      actor: member.id,
      action: 'site-head.recorded',
      details: { siteHead: { seq: head.seq, hash: head.hash, sig: head.sig } },
    });
    this.#last.set(member.id, { seq: head.seq, at: now });
  }
}
