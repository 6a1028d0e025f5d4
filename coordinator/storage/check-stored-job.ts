import { bytesEqual, sha256, toHex } from '../../common/crypto/index.js';
import { openEnvelope } from '../../common/crypto/signed-envelope.js';
import { parseJobBytes } from '../../common/job/job-spec.js';
import { SigningContext, type SigningContextName } from '../../common/protocol/signing-context.js';
import type { SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import { Receipt, RoundReport, RoundSummary } from '../../proto/gen/hefl/v1/messages.js';
import { FINAL_JOB_STATES } from '../job/job-state.js';
import type { AuditedJob } from './audited-jobs.js';
import type { StoredJobGraph } from './job-store.js';

/** Who signed what: the coordinator's own key, and a member's key by id (from the manifest). */
export interface SignerKeys {
  readonly coordinator: Uint8Array;
  memberKey(id: string): Uint8Array | undefined;
}

const FINISHED: ReadonlySet<string> = new Set(FINAL_JOB_STATES);

/**
 * Holds one stored job against the coordinator's audit log before it is served again. The
 * log is written first (every event is durable in the log before the state acts on it), so:
 * - anything the state holds that the log lacks or contradicts is an edit or damage: the
 *   job is refused, naming every disagreement (`problems`);
 * - the log may be one step ahead (a crash between the entry and the state write): the
 *   state is rolled forward where the log says enough (the job's end, a round's
 *   participants, updates logged as lost), otherwise the step is redone when the site
 *   re-sends (decisions, reports, releases) — see the README.
 * Every stored signed envelope is verified too (a flipped bit in a key bundle, receipt,
 * summary, report or release in `state.sqlite` is named here, not relayed).
 */
export function checkStoredJob(
  graph: StoredJobGraph,
  audited: AuditedJob | undefined,
  keys: SignerKeys,
): StoredJobCheck {
  const problems: string[] = [];
  const { job } = graph;
  if (!audited?.jobHash)
    return { graph, problems: ['the audit log has no job.submitted for it'], unstoredUpdates: [] };
  let jobHash: string | undefined;
  try {
    jobHash = parseJobBytes(job.specJson).hash;
  } catch (error) {
    problems.push(`its stored spec does not parse (${(error as Error).message.slice(0, 120)})`);
  }
  if (jobHash !== undefined && jobHash !== audited.jobHash)
    problems.push('its stored spec differs from the logged job hash');
  const verify = (
    what: string,
    context: SigningContextName,
    env: SignedEnvelope | undefined,
    signer: Uint8Array | undefined,
  ) => {
    if (!env) return;
    try {
      openEnvelope(context, env, (pk) => signer !== undefined && bytesEqual(pk, signer));
    } catch {
      problems.push(`${what} does not verify (damaged or altered)`);
    }
  };
  verify(
    'the researcher’s signed submission',
    SigningContext.jobSubmission,
    job.submission,
    job.submission.signerPublicKey,
  );

  // The job's state and membership.
  let state = job.state;
  let reason = job.reason;
  if (FINISHED.has(state) && audited.ended?.state !== state)
    problems.push(`state ${state} is not in the audit log`);
  if (!FINISHED.has(state) && audited.ended) {
    state = audited.ended.state; // logged, then crashed before the state write
    reason = audited.ended.reason;
  }
  for (const d of graph.decisions) {
    const logged = audited.decisions.get(d.siteId);
    if (logged !== d.accept)
      problems.push(`${d.siteId}'s ${d.accept ? 'acceptance' : 'decline'} is not in the audit log`);
  }
  for (const site of job.accepted) {
    if (audited.decisions.get(site) !== true)
      problems.push(`accepted site ${site} never accepted in the audit log`);
  }
  const running = state === 'running' || (FINISHED.has(state) && job.keyBundle !== undefined);
  if (job.keyBundle || running) {
    const bundleDigest = job.keyBundle ? toHex(sha256(job.keyBundle.payload)) : undefined;
    if (!audited.ceremony) problems.push('its key ceremony is not in the audit log');
    else if (bundleDigest !== audited.ceremony.bundleDigest || job.dealer !== audited.ceremony.dealer)
      problems.push('its dealer or key bundle differs from the logged key ceremony');
    verify(
      'the dealer’s key bundle',
      SigningContext.keyBundle,
      job.keyBundle,
      job.dealer ? keys.memberKey(job.dealer) : undefined,
    );
  }
  for (const g of graph.keyGrants) {
    verify(
      `${g.siteId}'s signed key request`,
      SigningContext.jobDecision,
      g.decision,
      keys.memberKey(g.siteId),
    );
    if (!g.bundle) continue;
    if (audited.grants.get(g.siteId) !== toHex(sha256(g.bundle.payload)))
      problems.push(`the key granted to ${g.siteId} is not the one in the audit log`);
    verify(
      `the key bundle granted to ${g.siteId}`,
      SigningContext.keyBundle,
      g.bundle,
      g.grantedBy ? keys.memberKey(g.grantedBy) : undefined,
    );
  }

  // Rounds, accepted updates, reports and releases.
  const rounds = graph.rounds.map((r) => {
    const logged = audited.rounds.get(r.round);
    if (!logged) {
      problems.push(`round ${r.round} is not in the audit log`);
      return r;
    }
    const stored = [...r.participants].sort().join();
    const inLog = [...logged.participants].sort().join();
    if (stored !== inLog) {
      // The log may name one more (a site readmitted, logged, then a crash); never fewer or others.
      const ahead = r.participants.every((p) => logged.participants.includes(p));
      if (!ahead) problems.push(`round ${r.round}'s participants differ from the audit log`);
      else r = { ...r, participants: [...logged.participants].sort() };
    }
    if (r.state === 'closed') {
      if (!logged.closed) problems.push(`round ${r.round} is closed in the state but not in the audit log`);
      else if (logged.closed.aggregateDigest !== r.aggregateDigest)
        problems.push(`round ${r.round}'s aggregate differs from the audit log`);
      verify(`round ${r.round}'s signed summary`, SigningContext.roundSummary, r.summary, keys.coordinator);
      if (r.summary) {
        try {
          const summary = RoundSummary.decode(r.summary.payload);
          if (toHex(summary.aggregateDigest) !== r.aggregateDigest || summary.round !== r.round)
            problems.push(`round ${r.round}'s signed summary names another aggregate`);
        } catch {
          problems.push(`round ${r.round}'s signed summary does not decode`);
        }
      }
    }
    return r;
  });
  const uploads = graph.uploads.filter((u) => {
    const key = `${u.round}/${u.siteId}`;
    if (audited.updates.get(key) !== u.updateDigest) {
      problems.push(`${u.siteId}'s update in round ${u.round} is not in the audit log`);
      return true;
    }
    verify(
      `the receipt for ${u.siteId}'s update in round ${u.round}`,
      SigningContext.receipt,
      u.receipt,
      keys.coordinator,
    );
    try {
      if (toHex(Receipt.decode(u.receipt.payload).updateDigest) !== u.updateDigest)
        problems.push(`the receipt for ${u.siteId}'s update in round ${u.round} names another update`);
    } catch {
      problems.push(`the receipt for ${u.siteId}'s update in round ${u.round} does not decode`);
    }
    return !audited.lost.has(`${key}/${u.updateDigest}`); // logged as lost, then a crash before the state forgot it
  });
  for (const r of graph.reports) {
    if (audited.reports.get(`${r.round}/${r.siteId}`) !== r.modelHash)
      problems.push(`${r.siteId}'s report of round ${r.round} is not in the audit log`);
    verify(
      `${r.siteId}'s report of round ${r.round}`,
      SigningContext.roundReport,
      r.envelope,
      keys.memberKey(r.siteId),
    );
    try {
      if (RoundReport.decode(r.envelope.payload).modelHash !== r.modelHash)
        problems.push(`${r.siteId}'s signed report of round ${r.round} names another model`);
    } catch {
      problems.push(`${r.siteId}'s report of round ${r.round} does not decode`);
    }
  }
  for (const r of graph.releases) {
    if (!audited.releases.has(r.siteId)) problems.push(`${r.siteId}'s model release is not in the audit log`);
    verify(`${r.siteId}'s model release`, SigningContext.modelRelease, r.envelope, keys.memberKey(r.siteId));
  }
  // Updates logged as accepted whose storing a crash prevented: their sites never got a
  // receipt and send them again, so the log is to say these are lost.
  const unstoredUpdates: StoredJobCheck['unstoredUpdates'] = [];
  const open = new Set(rounds.filter((r) => r.state !== 'closed').map((r) => r.round));
  const stored = new Set(graph.uploads.map((u) => `${u.round}/${u.siteId}`));
  for (const [key, updateDigest] of audited.updates) {
    const [round, siteId] = [Number(key.slice(0, key.indexOf('/'))), key.slice(key.indexOf('/') + 1)];
    if (open.has(round) && !stored.has(key) && !audited.lost.has(`${key}/${updateDigest}`))
      unstoredUpdates.push({ round, siteId, updateDigest });
  }
  return { graph: { ...graph, job: { ...job, state, reason }, rounds, uploads }, problems, unstoredUpdates };
}

export interface StoredJobCheck {
  /** The graph to restore: the stored one, rolled forward where the log is one step ahead. */
  readonly graph: StoredJobGraph;
  /** What disagrees with the log; any entry means the job is not served. */
  readonly problems: string[];
  /** Updates of an open round the log accepted but the state never stored (no receipt was sent). */
  readonly unstoredUpdates: { round: number; siteId: string; updateDigest: string }[];
}
